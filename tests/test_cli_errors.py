"""Every mistake a person can make with `mri` is one sentence and exit code 2, never a
traceback; a bug is a traceback (exit code 1) with every secret masked."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from core.db.database import Database
from mri.cli import app
from mri.cli.root import app as root_app

runner = CliRunner()


def closed_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_sentence(result: Any, *words: str) -> str:
    output: str = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output and 'File "' not in output, output
    errors = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, output
    for word in words:
        assert word in errors[0], output
    return errors[0]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MRI_DATA_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_a_missing_photo(tmp_path: Path) -> None:
    result = runner.invoke(app, ["recommend", str(tmp_path / "missing.jpg")])
    one_sentence(result, "missing.jpg", "does not exist")


def test_a_folder_instead_of_a_photo(tmp_path: Path) -> None:
    one_sentence(runner.invoke(app, ["recommend", str(tmp_path)]), "is a directory")


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("MRI_TOP_K", "abc", ["MRI_TOP_K='abc'", "valid integer"]),
        ("MRI_TAGGER", "clipp", ["MRI_TAGGER='clipp'", "'imagenet', 'clip', 'caption'"]),
        ("MRI_LOG_LEVEL", "loud", ["MRI_LOG_LEVEL='loud'", "DEBUG, INFO"]),
        ("MRI_TELEGRAM_WEBHOOK_URL", "http://x.example/t", ["MRI_TELEGRAM_WEBHOOK_URL", "https"]),
    ],
)
def test_a_wrong_setting_is_named_as_written(variable: str, value: str, words: list[str]) -> None:
    result = runner.invoke(app, ["recommend", "--text", "바다"], env={variable: value})
    line = one_sentence(result, *words, "environment or .env")
    assert variable.removeprefix("MRI_").lower() not in line  # not pydantic's field name


def test_a_wrong_secret_setting_is_named_but_not_echoed() -> None:
    secret = "not a valid secret but long"
    result = runner.invoke(app, ["status"], env={"MRI_TELEGRAM_WEBHOOK_SECRET": secret})
    one_sentence(result, "MRI_TELEGRAM_WEBHOOK_SECRET", "16 to 256")
    assert secret not in result.output


@pytest.mark.usefixtures("data_dir")
def test_postgresql_unreachable_is_one_line_naming_it() -> None:
    port = closed_port()
    url = f"postgresql+psycopg://mri:pw-must-not-show@127.0.0.1:{port}/mri"
    for command in (["status"], ["db", "upgrade"], ["eval", "feedback"]):
        result = runner.invoke(app, command, env={"MRI_DATABASE_URL": url})
        one_sentence(result, f"PostgreSQL at 127.0.0.1:{port}/mri is unreachable", "refused")
        assert "pw-must-not-show" not in result.output


@pytest.mark.usefixtures("data_dir")
def test_status_with_redis_down_still_reports() -> None:
    result = runner.invoke(
        app, ["status", "--json"], env={"MRI_QUEUE_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["queue_pending"] is None


def test_db_check_on_an_old_schema(data_dir: Path) -> None:
    db = Database(f"sqlite:///{data_dir / 'mri.db'}")
    db.upgrade("0001")
    db.dispose()
    line = one_sentence(runner.invoke(app, ["db", "check"]), "older than this code", "at 0001")
    assert "mri db upgrade" in line
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["db", "check"])
    assert result.exit_code == 0 and "newest migration" in result.output


@pytest.mark.usefixtures("data_dir")
def test_db_upgrade_to_a_revision_that_does_not_exist() -> None:
    result = runner.invoke(app, ["db", "upgrade", "--revision", "nonsense"])
    one_sentence(result, "no migration 'nonsense'", "0001", "head")


def test_eval_replay_with_a_file_that_is_not_a_vote_log() -> None:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    result = runner.invoke(app, ["eval", "replay", "--log", str(readme)])
    one_sentence(result, "README.md:1 is not a vote log line")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[]", ["no playlist has both songs and a tag"]),
        ('{"tags": ["바다"]}', ["expected a JSON list of playlists"]),
        ('[{"tags": "바다", "songs": [1]}]', ["playlist #0", "'tags' must be a list"]),
        ("not json", ["not valid UTF-8 JSON"]),
    ],
)
def test_catalog_build_on_an_empty_or_wrongly_shaped_file(
    tmp_path: Path, content: str, words: list[str]
) -> None:
    playlists = tmp_path / "playlists.json"
    playlists.write_text(content, encoding="utf-8")
    result = runner.invoke(
        app, ["catalog", "build", "--playlists", str(playlists), "--out", str(tmp_path / "c")]
    )
    one_sentence(result, "playlists.json", *words)
    assert not (tmp_path / "c").exists()


def test_a_bug_is_a_traceback_with_secrets_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "7171:DDH-a-token-in-a-bug-report-zz"
    monkeypatch.setenv("MRI_TELEGRAM_TOKEN", token)

    @root_app.command("explode", hidden=True)
    def explode() -> None:
        from mri.cli.context import load_settings

        load_settings(quiet=True)
        try:
            raise KeyError(f"https://api.telegram.org/bot{token}/getMe")
        except KeyError as exc:
            raise RuntimeError("an unexpected bug") from exc

    try:
        result = runner.invoke(app, ["explode"])
    finally:
        root_app.registered_commands.pop()
    assert result.exit_code == 1
    assert "Traceback" in result.output and "RuntimeError: an unexpected bug" in result.output
    assert "KeyError" in result.output and token.split(":")[1] not in result.output
