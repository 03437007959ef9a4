"""Layering rules from HOUSE_STYLE.md, checked on every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    exe = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_recommender_and_pipeline_import_without_torch() -> None:
    code = (
        "import sys, core.pipeline, core.recommender, core.catalog, core.tagging.text;"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_face_modules_import_without_torch_or_cv2() -> None:
    code = (
        "import sys, core.tagging.factory, core.tagging.fusion, core.tagging.people,"
        " core.tagging.faces, core.tagging.fer_files;"
        "print(sorted({'torch', 'cv2', 'h5py', 'fer'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
