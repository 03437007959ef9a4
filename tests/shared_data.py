"""Where the shared test data (photos, catalogs) lives, and how tests ask for it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """$MRI_SHARED_DATA if set, else the first `<ancestor>/shared/data` above the repo root.

    When none exists, the conventional `../shared/data` is returned (it just won't exist).
    """
    env = os.environ.get("MRI_SHARED_DATA")
    if env:
        return Path(env)
    for ancestor in (REPO_ROOT, *REPO_ROOT.parents):
        candidate = ancestor / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return REPO_ROOT.parent / "shared" / "data"


def require_shared() -> Path:
    """The shared data folder; skips the test without it (fails instead if MRI_NO_SKIP=1)."""
    path = shared_data_dir()
    if path.is_dir():
        return path
    message = f"../shared/data not found: looked for {path} (set MRI_SHARED_DATA to override)"
    if os.environ.get("MRI_NO_SKIP") == "1":
        pytest.fail(message)
    pytest.skip(message)
