"""Per worker process, beside the jobs: the heartbeat `mri status` reads, the reaper (re-sends
jobs whose worker died, expires old ones with their photos) and the orphan-photo sweep."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from core.config import Settings
from core.db import jobs
from core.db.database import Database
from core.errors import MriError
from core.queue import JobQueue

if TYPE_CHECKING:
    from core.worker import JobRunner

log = logging.getLogger(__name__)


def reap(settings: Settings, database: Database, queue: JobQueue) -> tuple[int, int]:
    """Re-send jobs whose worker died or whose message was lost; expire old ones.
    Returns (re-sent, expired)."""
    with database.transaction() as s:
        expired = jobs.expire(s, older_than=settings.job_expire_seconds)
        due = jobs.due_for_requeue(s, stale_after=max(settings.job_lease_seconds, 30.0))
    notifier = queue.notifier() if expired else None
    for job_id in expired:
        queue.photos.delete(job_id)
        if notifier is not None:
            notifier.job_ended(job_id, "expired")
    for job_id in due:
        queue.enqueue(job_id)
    if due or expired:
        log.warning("reaper: re-sent %d job(s), expired %d", len(due), len(expired))
    return len(due), len(expired)


ORPHAN_MIN_AGE = 120.0  # a photo is stored just before its job's row: give it time to appear
SWEEP_EVERY = 60.0


def sweep_orphan_photos(
    database: Database, queue: JobQueue, min_age: float = ORPHAN_MIN_AGE
) -> list[str]:
    """Delete photos that no queued or running job owns (the job was forgotten, expired, or its
    worker died between storing the answer and deleting the photo). Returns their job ids."""
    candidates = queue.photos.stale_job_ids(min_age)
    if not candidates:
        return []
    with database.reader() as s:
        live = jobs.live_jobs(s, candidates)
    orphans = [job_id for job_id in candidates if job_id not in live]
    for job_id in orphans:
        queue.photos.delete(job_id)
    if orphans:
        log.warning("orphan sweep: deleted %d photo(s) no live job owns", len(orphans))
    return orphans


class Housekeeper(threading.Thread):
    """Heartbeat and reaper every `interval` seconds, the orphan-photo sweep every minute,
    until the process ends."""

    def __init__(self, runner: JobRunner, interval: float) -> None:
        super().__init__(name="mri-housekeeper", daemon=True)
        self.runner = runner
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        swept = 0.0
        while not self.stopped.is_set():
            try:
                self.runner.beat()
                reap(self.runner.settings, self.runner.db, self.runner.queue)
                if time.monotonic() - swept >= SWEEP_EVERY:
                    swept = time.monotonic()
                    sweep_orphan_photos(self.runner.db, self.runner.queue)
            except (OperationalError, MriError, OSError) as exc:
                log.warning("housekeeping failed: %s", exc)
            self.stopped.wait(self.interval)
