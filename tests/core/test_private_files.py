"""The embedded database and queue files are created readable by their owner only."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.config import Settings
from core.db.database import Database
from core.queue import JobQueue


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default: new files would be world-readable
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_database_wal_and_queue_files_are_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    db = Database(settings.resolved_database_url)
    try:
        db.upgrade()
        with db.transaction() as s:  # a write, so that the WAL exists
            s.execute(text("CREATE TABLE t (x INTEGER)"))
        JobQueue(settings).enqueue("0" * 36)
        files = [settings.data_dir / n for n in ("mri.db", "mri.db-wal", "mri.db-shm", "queue.db")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(settings.data_dir) == 0o700
    finally:
        db.dispose()


@pytest.mark.usefixtures("open_umask")
def test_an_existing_readable_database_is_reported_not_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "mri.db"
    path.touch(mode=0o644)
    with caplog.at_level(logging.WARNING):
        Database(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o644
    assert "readable by other users" in caplog.text and "chmod 600" in caplog.text
