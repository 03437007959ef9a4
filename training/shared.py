"""Where the shared data folder (`../shared/data`) is, for tests, benchmarks and `make`."""

from __future__ import annotations

import os
from pathlib import Path

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
