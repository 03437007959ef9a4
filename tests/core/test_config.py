"""Settings come from the environment and .env; .env.example documents every field."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
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


def test_a_relative_data_dir_is_the_projects_whatever_the_current_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MRI_DATA_DIR", "var")
    assert Settings().data_dir == ROOT / "var"  # not tmp_path / "var"
    monkeypatch.setenv("MRI_DATA_DIR", "../elsewhere/./data")
    assert Settings().data_dir == ROOT.parent / "elsewhere" / "data"
    monkeypatch.setenv("MRI_DATA_DIR", str(tmp_path / "abs"))
    settings = Settings()
    assert settings.data_dir == tmp_path / "abs"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'abs' / 'mri.db'}"


def test_the_projects_env_file_is_read_from_any_directory(tmp_path: Path) -> None:
    """A copy of the settings module in a project folder with its own .env: a process started
    in another folder still reads that .env, and the current directory's .env wins over it."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "core").mkdir(parents=True)
    elsewhere.mkdir()
    for name in ("__init__.py", "config.py"):
        shutil.copy(ROOT / "core" / name, project / "core" / name)
    (project / "pyproject.toml").write_text("[project]\nname = 'copy'\n", encoding="utf-8")
    (project / ".env").write_text("MRI_TOP_K=7\nMRI_TAGS_SHOWN=3\nMRI_DATA_DIR=var\n", "utf-8")
    script = (
        "from core.config import Settings; s = Settings(); print(s.top_k, s.tags_shown, s.data_dir)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRI_")}
    env["PYTHONPATH"] = str(project)

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True,
            text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout.split()

    assert run() == ["7", "3", str(project / "var")]
    (elsewhere / ".env").write_text("MRI_TOP_K=4\n", encoding="utf-8")
    assert run() == ["4", "3", str(project / "var")]


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("MRI_TELEGRAM_WEBHOOK_URL", "http://bot.example.com/telegram", "https://"),
        ("MRI_TELEGRAM_WEBHOOK_SECRET", "short", "16 to 256"),
        ("MRI_TELEGRAM_WEBHOOK_SECRET", "has spaces and is long enough", "16 to 256"),
    ],
)
def test_webhook_settings_are_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=words):
        Settings()


def test_webhook_path_comes_from_the_public_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MRI_TELEGRAM_WEBHOOK_URL", "https://bot.example.com/hooks/telegram/")
    monkeypatch.setenv("MRI_TELEGRAM_WEBHOOK_SECRET", "changeme")  # a placeholder: no secret
    settings = Settings()
    assert settings.telegram_webhook_path == "hooks/telegram"
    assert settings.telegram_webhook_secret is None
    assert settings.telegram_webhook_listen == "127.0.0.1"  # behind the proxy by default
