"""Start-up checks: the database, Redis, Telegram or Discord may not be up yet.

A service that starts before its servers (a reboot, a deploy, `mri run` on a fresh machine)
should wait, not crash with a 600-line traceback: each check is retried with back-off (1 s, 2 s,
4 s … 30 s), one warning line per try naming what is unreachable, until
`MRI_STARTUP_TIMEOUT_SECONDS` have passed; then `ServiceUnreachable` says so in one sentence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar
from urllib.parse import urlsplit

import redis
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.config import Settings
from core.db.database import Database
from core.errors import ServiceUnreachable
from core.queue import JobQueue

log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_DELAY, MAX_DELAY = 1.0, 30.0


def describe_database(url: str) -> str:
    """'PostgreSQL at 127.0.0.1:5432/mri' or 'the SQLite database /srv/mri/var/mri.db'."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return f"the SQLite database {u.database}"
    name = "PostgreSQL" if u.get_backend_name() == "postgresql" else u.get_backend_name()
    return f"{name} at {u.host or 'localhost'}:{u.port or 5432}/{u.database or ''}"


def describe_url(name: str, url: str) -> str:
    """'Redis at 127.0.0.1:6379' — host and port only, never user or password."""
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or parts.path)
    return f"{name} at {where}"


def reason(exc: BaseException) -> str:
    """The first line of what the driver said, without SQLAlchemy's background links."""
    inner = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(inner).strip() or type(inner).__name__
    return text.splitlines()[0].rstrip(". ")


def delays(timeout: float) -> Iterator[float]:
    """Back-off pauses until `timeout` seconds have passed (none for timeout 0)."""
    deadline = time.monotonic() + timeout
    delay = FIRST_DELAY
    while (left := deadline - time.monotonic()) > 0:
        yield min(delay, left)
        delay = min(delay * 2, MAX_DELAY)


def retry(check: Callable[[], T], timeout: float, sleep: Callable[[float], None] = time.sleep) -> T:
    """`check()`'s result; while it raises ServiceUnreachable, wait and try again."""
    started = time.monotonic()
    pauses = delays(timeout)
    while True:
        try:
            return check()
        except ServiceUnreachable as exc:
            pause = next(pauses, None)
            if pause is None:
                raise _gave_up(exc, time.monotonic() - started) from None
            log.warning("%s; retrying in %.0f s", exc, pause)
            sleep(pause)


async def retry_async(check: Callable[[], Awaitable[T]], timeout: float) -> T:
    """The same for a coroutine check (Telegram, Discord)."""
    started = time.monotonic()
    pauses = delays(timeout)
    while True:
        try:
            return await check()
        except ServiceUnreachable as exc:
            pause = next(pauses, None)
            if pause is None:
                raise _gave_up(exc, time.monotonic() - started) from None
            log.warning("%s; retrying in %.0f s", exc, pause)
            await asyncio.sleep(pause)


def _gave_up(exc: ServiceUnreachable, waited: float) -> ServiceUnreachable:
    if waited < 1:
        return exc
    return ServiceUnreachable(f"{exc} (gave up after {waited:.0f} s of retrying)")


def check_database(database: Database) -> None:
    try:
        database.ping()
    except DBAPIError as exc:
        what = describe_database(database.url)
        raise ServiceUnreachable(f"{what} is unreachable: {reason(exc)}") from None


def check_redis(queue: JobQueue) -> None:
    if queue.redis is None:
        return
    try:
        queue.redis.ping()
    except redis.RedisError as exc:
        what = describe_url("Redis", queue.settings.queue_url or "")
        raise ServiceUnreachable(f"{what} is unreachable: {reason(exc)}") from None


def open_database(settings: Settings) -> Database:
    """The database once it answers, migrated to the newest schema."""
    database = Database(settings.resolved_database_url)
    try:
        retry(lambda: check_database(database), settings.startup_timeout_seconds)
        database.upgrade()
    except BaseException:
        database.dispose()
        raise
    return database


def open_queue(settings: Settings) -> JobQueue:
    """The job queue once its server (Redis) answers; the embedded SQLite queue always does."""
    queue = JobQueue(settings)
    retry(lambda: check_redis(queue), settings.startup_timeout_seconds)
    return queue
