"""How tests ask for the shared data (photos, Arena files) in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from training.shared import shared_data_dir


def require_shared() -> Path:
    """The shared data folder; skips the test without it (fails instead if MRI_NO_SKIP=1)."""
    path = shared_data_dir()
    if path.is_dir():
        return path
    message = f"../shared/data not found: looked for {path} (set MRI_SHARED_DATA to override)"
    if os.environ.get("MRI_NO_SKIP") == "1":
        pytest.fail(message)
    pytest.skip(message)
