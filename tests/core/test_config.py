"""Settings come from the environment and .env; .env.example documents every field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.config import DEFAULT_CATALOG, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_point_at_the_embedded_catalog(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    s = Settings()
    assert s.catalog_dir == DEFAULT_CATALOG and s.top_k == 10 and s.tagger == "imagenet"


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("MRI_TOP_K=7\nMRI_MAX_PER_ARTIST=1\n", encoding="utf-8")
    monkeypatch.setenv("MRI_TOP_K", "5")  # the environment wins over .env
    s = Settings()
    assert s.top_k == 5 and s.max_per_artist == 1


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MRI_TOP_K", "0")
    with pytest.raises(ValueError, match="top_k"):
        Settings()


def test_env_example_documents_every_field() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*(MRI_[A-Z_]+)=", text, flags=re.MULTILINE))
    fields = {f"MRI_{name.upper()}" for name in Settings.model_fields}
    assert documented == fields
