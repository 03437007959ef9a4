"""Files only the owner may read: the database holds user ids and display names.

SQLite creates its -wal and -shm files with the database file's mode, so creating the file 0600
before the first connection covers all three.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) as 0700 where it does not exist yet."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def private_file(path: Path) -> Path:
    """Create an empty file with mode 0600 unless it exists; warn when an existing one is
    readable by others (an operator may have a reason, so it is not changed behind their back)."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning(
                "%s is readable by other users (mode %o); `chmod 600 %s` keeps it private",
                path, mode, path,
            )  # fmt: skip
    return path
