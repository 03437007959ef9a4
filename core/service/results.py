"""Waiting for answers: one watcher per process hears job-end notices and polls as a fallback."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.config import Settings
from core.db import delivery, jobs
from core.db.database import Database
from core.db.results import load_result
from core.domain import DeliveryClaim, JobResult
from core.errors import JobFailed, JobTimeout, UnknownJob
from core.notify import Listener
from core.queue import JobQueue
from core.service.base import Component

log = logging.getLogger(__name__)


class Results(Component):
    """`wait` resolves when a worker announces the end of a job (core/notify.py) or the
    database says so (polled every 200 ms in case an announcement got lost)."""

    def __init__(self, settings: Settings, database: Database, queue: JobQueue) -> None:
        super().__init__(settings, database, queue)
        self._waiters: dict[str, list[asyncio.Future[str]]] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._listener: Listener | None = None

    async def aclose(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._listener is not None:
            self._listener.close()

    async def wait(self, job_id: str, timeout: float | None = None) -> JobResult:
        """The answer once the job is done. JobTimeout when not yet; JobFailed if it failed."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[str] = loop.create_future()
        self._waiters.setdefault(job_id, []).append(fut)
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch(), name="mri-result-watcher")
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout or self.settings.job_wait_seconds)
        except TimeoutError:
            if await self.run(self._exists, job_id):
                raise JobTimeout(f"job {job_id} is still running") from None
            raise UnknownJob(f"no job {job_id}") from None
        finally:
            waiters = self._waiters.get(job_id, [])
            if fut in waiters:
                waiters.remove(fut)
            if not waiters:
                self._waiters.pop(job_id, None)
        result = await self.result(job_id)
        if result.status != "done":
            raise JobFailed(result.error or result.status, f"job {job_id} ended: {result.status}")
        return result

    async def _watch(self) -> None:
        """One watcher for all waiting jobs. Workers announce ended jobs (core/notify.py),
        which answers waiters at once (`_hint`); this poll of the database every 200 ms
        catches any announcement that got lost."""
        if self._listener is None:
            try:
                self._listener = self.queue.listener()
                self._listener.start(asyncio.get_running_loop(), self._hint)
            except OSError as exc:  # no notifications: polling alone still works
                log.warning("job-end notifications unavailable (%s); polling only", exc)
        while self._waiters:
            ended = await self.run(self._ended, list(self._waiters))
            for job_id, status in ended.items():
                for fut in self._waiters.get(job_id, []):
                    if not fut.done():
                        fut.set_result(status)
            await asyncio.sleep(0.2)

    def _hint(self, job_id: str, status: str) -> None:
        """A worker says the job ended (sent after its commit): answer the waiters now."""
        if status not in ("done", "failed", "expired"):
            return
        for fut in self._waiters.get(job_id, []):
            if not fut.done():
                fut.set_result(status)

    def _ended(self, job_ids: list[str]) -> dict[str, str]:
        with self.db.reader() as s:
            return jobs.finished(s, job_ids)

    def _exists(self, job_id: str) -> bool:
        with self.db.reader() as s:
            return jobs.get_request(s, job_id) is not None

    async def result(self, job_id: str) -> JobResult:
        """The stored state of a job (any status). UnknownJob if there is none."""

        def load() -> JobResult:
            with self.db.reader() as s:
                return load_result(s, job_id)

        return await self.run(load)

    # -- delivery, in two phases (core/db/delivery.py) -------------------------------------

    async def set_reply_ref(self, job_id: str, reply_ref: str) -> None:
        """The message shown for this job before its answer (a placeholder): a retry by any
        adapter edits it instead of sending a second message."""

        def store() -> None:
            with self.db.transaction() as s:
                delivery.set_reply_ref(s, job_id=job_id, reply_ref=reply_ref)

        await self.run(store)

    async def claim_delivery(self, job_id: str) -> DeliveryClaim | None:
        """The right to deliver a finished job's reply for MRI_DELIVERY_LEASE_SECONDS; None
        when it is delivered, unfinished, or someone else's lease runs."""

        def claim() -> DeliveryClaim | None:
            with self.db.transaction() as s:
                lease = self.settings.delivery_lease_seconds
                return delivery.claim(s, job_id=job_id, lease_seconds=lease)

        return await self.run(claim)

    async def confirm_delivery(self, job_id: str, reply_ref: str | None) -> bool:
        """The reply is out, in message `reply_ref`."""

        def confirm() -> bool:
            with self.db.transaction() as s:
                return delivery.confirm(s, job_id=job_id, reply_ref=reply_ref)

        return await self.run(confirm)

    async def release_delivery(self, job_id: str, error: str, *, permanent: bool = False) -> bool:
        """Sending failed: any adapter retries after a short back-off; a permanent failure (or
        too many) gives the reply up. True when given up."""

        def release() -> bool:
            with self.db.transaction() as s:
                return delivery.release(
                    s, job_id=job_id, error=error, permanent=permanent,
                    retry_after=min(self.settings.delivery_lease_seconds, 10.0),
                )  # fmt: skip

        given_up = await self.run(release)
        log.log(
            logging.ERROR if given_up else logging.WARNING,
            "job %s: reply not delivered (%s)%s", job_id, error,
            "; given up" if given_up else "; will retry",
        )  # fmt: skip
        return given_up

    async def undelivered(self, platform: str, older_than: float = 0.0) -> list[str]:
        """Finished jobs whose reply is owed and free to claim: their adapter restarted, its
        send failed, or it died holding the claim (lease over)."""

        def find() -> list[str]:
            with self.db.reader() as s:
                return delivery.owed(s, platform=platform, older_than=older_than)

        return await self.run(find)
