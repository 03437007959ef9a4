"""The job queue: huey, with its SQLite storage by default and Redis when MRI_QUEUE_URL says so.

A message carries only a job id. Inputs (photo in the photo store, text and state in the
database) and results live elsewhere, so a message lost with a crashed worker is re-sent from
the database by the reaper (core/worker.py) and nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from huey import Huey, RedisHuey, SqliteHuey

from core.config import Settings
from core.errors import QueueUnavailable
from core.notify import (
    Listener,
    Notifier,
    RedisListener,
    RedisNotifier,
    SocketListener,
    SocketNotifier,
)
from core.photostore import PhotoStore, RedisPhotoStore, SpoolPhotoStore
from core.private_files import private_dir, private_file

log = logging.getLogger(__name__)

RUN_JOB = "mri.run_job"
JobHandler = Callable[[str], None]


def _no_handler(job_id: str) -> None:
    raise RuntimeError("this process does not run jobs (no worker handler installed)")


class JobQueue:
    """huey plus the photo store that travels with it; the same object in bots and workers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis: redis.Redis | None = None
        url = settings.queue_url
        if url and url.startswith(("redis://", "rediss://", "unix://")):
            pool = redis.ConnectionPool.from_url(url)
            self.redis = redis.Redis(connection_pool=pool)
            self.huey: Huey = RedisHuey(settings.queue_name, connection_pool=pool, results=False)
            ttl = int(settings.job_expire_seconds * 2)
            self.photos: PhotoStore = RedisPhotoStore(self.redis, f"mri:{settings.queue_name}", ttl)
        else:
            private_dir(settings.data_dir)
            private_file(settings.queue_file)
            self.huey = SqliteHuey(
                settings.queue_name, filename=str(settings.queue_file), results=False
            )
            self.photos = SpoolPhotoStore(settings.spool_dir)
        self._handler: JobHandler = _no_handler
        self._task = self.huey.task(
            name=RUN_JOB,
            retries=settings.job_retries,
            retry_delay=1,
            retry_backoff=2,
        )(self._run)

    @property
    def events_channel(self) -> str:
        return f"mri:{self.settings.queue_name}:ended"

    def notifier(self) -> Notifier:
        """For workers: tells waiting adapters that a job ended."""
        if self.redis is not None:
            return RedisNotifier(self.redis, self.events_channel)
        return SocketNotifier(self.settings.data_dir / "notify")

    def listener(self) -> Listener:
        """For adapters: hears that a job ended."""
        if self.redis is not None:
            return RedisListener(self.redis, self.events_channel)
        return SocketListener(self.settings.data_dir / "notify")

    @property
    def kind(self) -> str:
        return "redis" if self.redis is not None else "sqlite"

    def _run(self, job_id: str) -> None:
        self._handler(job_id)

    def set_handler(self, handler: JobHandler) -> None:
        """Install the function that runs a job (worker processes only)."""
        self._handler = handler

    def enqueue(self, job_id: str) -> None:
        try:
            self.huey.enqueue(self._task.s(job_id))
        except (redis.RedisError, OSError) as exc:
            raise QueueUnavailable(f"cannot enqueue job: {exc}") from exc

    def pending(self) -> int:
        try:
            return int(self.huey.pending_count())
        except (redis.RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc

    def consumer(self, **options: Any) -> Any:
        return self.huey.create_consumer(**options)
