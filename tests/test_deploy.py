"""The systemd units in deploy/ and the operations README describes: each unit passes
`systemd-analyze verify` (with /srv/mri pointed at this checkout, so its ExecStart exists) or,
without systemd, a parser that knows the keys we use; each runs an `mri` command the real CLI
parses; the SQLite backup command README shows works on a live database."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db.database import Database
from tests.test_readme_commands import parse

ROOT = Path(__file__).resolve().parents[1]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
KEYS = {
    "Unit": {"Description", "Documentation", "After", "Wants", "Requires"},
    "Service": {
        "Type", "User", "Group", "WorkingDirectory", "ExecStart", "KillSignal", "TimeoutStopSec",
        "Restart", "RestartSec", "UMask", "NoNewPrivileges", "PrivateTmp", "ProtectSystem",
    },
    "Install": {"WantedBy"},
}  # fmt: skip


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """section -> key -> values (systemd allows a key more than once)."""
    unit: dict[str, dict[str, list[str]]] = {}
    section = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if match := re.fullmatch(r"\[(\w+)\]", line):
            section = match[1]
            assert section in KEYS, f"{path.name}:{number}: unknown section [{section}]"
            unit[section] = {}
            continue
        key, sep, value = line.partition("=")
        assert section is not None and sep, f"{path.name}:{number}: not key=value: {raw!r}"
        assert key in KEYS[section], f"{path.name}:{number}: unknown key {key} in [{section}]"
        unit[section].setdefault(key, []).append(value)
    return unit


def verify(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", *map(str, paths)], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def local_copies(tmp_path: Path) -> list[Path]:
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text(encoding="utf-8").replace("/srv/mri", str(ROOT)), "utf-8")
        copies.append(copy)
    return copies


def test_there_is_a_unit_per_process_and_readme_names_them() -> None:
    assert [u.name for u in UNITS] == ["mri-discord.service", "mri-telegram.service",
                                       "mri-worker.service"]  # fmt: skip
    for unit in UNITS:
        assert unit.stem in README


@pytest.mark.parametrize("unit", UNITS, ids=[u.stem for u in UNITS])
def test_each_unit_parses_and_runs_an_mri_command(unit: Path) -> None:
    service = read_unit(unit)["Service"]
    argv = shlex.split(service["ExecStart"][0])
    assert argv[0] == "/srv/mri/.venv/bin/mri"
    parse(argv[1:])  # the real CLI accepts the command line
    assert service["User"] == ["mri"] and service["WorkingDirectory"] == ["/srv/mri"]
    assert service["KillSignal"] == ["SIGTERM"] and service["Restart"] == ["on-failure"]
    assert service["UMask"] == ["0077"]
    assert "multi-user.target" in read_unit(unit)["Install"]["WantedBy"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_accepts_every_unit(tmp_path: Path) -> None:
    done = verify(local_copies(tmp_path))
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_verify_check_would_catch_a_broken_unit(tmp_path: Path) -> None:
    (broken,) = local_copies(tmp_path)[:1]
    broken.write_text(broken.read_text().replace("Type=simple", "Type=simpel"), "utf-8")
    assert "Failed to parse service type" in verify([broken]).stderr  # even though rc is 0


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 command here")
def test_the_readme_backup_command_copies_a_live_database(tmp_path: Path) -> None:
    shown = re.search(r"sqlite3 /srv/mri/var/mri\.db \"\.backup '(?P<to>[^']+)'\"", README)
    assert shown is not None, "README shows the sqlite3 .backup command"
    live = Database(f"sqlite:///{tmp_path / 'mri.db'}")
    try:
        live.upgrade()
        with live.transaction() as s:
            s.execute(text("INSERT INTO users (platform, external_id, language, created_at) "
                           "VALUES ('t', 'kept', 'ko', '2026-01-01')"))  # fmt: skip
        with live.engine.connect() as reading:  # the services keep it open meanwhile
            reading.execute(text("SELECT count(*) FROM users"))
            copy = tmp_path / "backup.db"
            subprocess.run(
                ["sqlite3", str(tmp_path / "mri.db"), f".backup '{copy}'"], check=True,
                timeout=60,
            )  # fmt: skip
    finally:
        live.dispose()
    restored = Database(f"sqlite:///{copy}")
    try:
        assert restored.current_revision() == restored.known_revisions()[-1]
        with restored.reader() as s:
            assert s.execute(text("SELECT external_id FROM users")).scalars().all() == ["kept"]
        restored.check()
    finally:
        restored.dispose()
