"""What every service component shares: the settings, the database, the queue, and running
blocking database and queue calls in a thread so that a chat library's event loop never waits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError

from core.config import Settings
from core.db.database import Database
from core.errors import QueueUnavailable
from core.queue import JobQueue

log = logging.getLogger(__name__)
T = TypeVar("T")


class Component:
    """A part of `RecommendService`; the facade passes the same three collaborators to each."""

    def __init__(self, settings: Settings, database: Database, queue: JobQueue) -> None:
        self.settings = settings
        self.db = database
        self.queue = queue

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except OperationalError as exc:  # SQLite locked past its busy timeout, server down
            log.warning("database unavailable: %s", exc.orig)
            raise QueueUnavailable(f"the database is unavailable: {exc.orig}") from exc
