"""People: their language, forgetting them, and the numbers `/stats` and `mri status` show."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from core.config import Settings
from core.db import feedback, people
from core.db.database import Database
from core.errors import QueueUnavailable
from core.queue import JobQueue
from core.service.base import Component

log = logging.getLogger(__name__)

LANGUAGES = ("ko", "en")


@dataclass(frozen=True)
class ServiceStatus:
    """Queue and database health for `mri status` and `/stats`."""

    queue_kind: str
    queue_pending: int | None
    stats: feedback.Stats


class Accounts(Component):
    def __init__(
        self,
        settings: Settings,
        database: Database,
        queue: JobQueue,
        on_forget: Callable[[str, str], None],
    ) -> None:
        super().__init__(settings, database, queue)
        self.on_forget = on_forget  # drops cached row ids of the person (Submissions)

    async def forget_user(self, *, platform: str, user_id: str) -> int:
        """Delete what is this person's (core/db/people.py says exactly what) and the photos of
        their unfinished jobs; returns how many rows went."""

        def forget() -> int:
            self.on_forget(platform, user_id)
            with self.db.transaction() as s:
                done = people.forget_user(s, platform=platform, external_id=user_id)
            for job_id in done.photo_jobs:  # a worker that already holds it drops it too
                try:
                    self.queue.photos.delete(job_id)
                except OSError as exc:  # Redis down: the worker's orphan sweep removes it later
                    log.warning("job %s: photo not deleted yet (%s)", job_id, exc)
            return done.deleted

        return await self.run(forget)

    async def language(self, *, platform: str, user_id: str) -> str:
        def get() -> str:
            with self.db.reader() as s:
                return people.language(s, platform=platform, external_id=user_id)

        return await self.run(get)

    async def asked_in_words(self, *, platform: str, user_id: str) -> bool:
        def get() -> bool:
            with self.db.reader() as s:
                return people.asked_in_words(s, platform=platform, external_id=user_id)

        return await self.run(get)

    async def set_language(self, *, platform: str, user_id: str, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")

        def set_() -> None:
            with self.db.transaction() as s:
                people.set_language(s, platform=platform, external_id=user_id, language=language)

        await self.run(set_)

    async def stats(self) -> ServiceStatus:
        return await self.run(self.status)

    def status(self) -> ServiceStatus:
        """Synchronous variant for the CLI."""
        try:
            pending: int | None = self.queue.pending()
        except QueueUnavailable:
            pending = None
        with self.db.reader() as s:
            numbers = feedback.stats(s)
        return ServiceStatus(self.queue.kind, pending, numbers)
