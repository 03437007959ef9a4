"""The worker: a huey consumer whose processes each load the catalog and tagger once.

`run_worker` is what `mri worker` runs. Per worker process (after the fork): a `Database`, a
`Pipeline` and a `JobRunner`, plus a housekeeping thread that writes the heartbeat `mri status`
reads and runs the reaper (re-sends jobs whose worker died, expires old ones, deletes their
photos). SIGTERM is a graceful stop: the job in hand is finished (or, past the shutdown timeout,
left to the reaper, which re-runs it).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from huey.consumer import WORKER_PROCESS, WORKER_THREAD
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from core.config import Settings
from core.db import jobs
from core.db.database import Database
from core.db.models import Request, User, WorkerBeat, utcnow
from core.domain import Recommendation, ScoredSong, TagWeight
from core.errors import EmptyQuery, InvalidImage, MriError
from core.pipeline import Pipeline
from core.playlist import Contribution, blend
from core.queue import JobQueue

log = logging.getLogger(__name__)


def _item(song: ScoredSong, from_user: str | None = None) -> dict[str, Any]:
    s = song.song
    reasons: dict[str, Any] = {"because": list(song.because)}
    if from_user is not None:
        reasons["from_user"] = from_user
    return {
        "id": s.id,
        "score": song.score,
        "reasons": reasons,
        "song": {
            "title": s.title,
            "artists": list(s.artists),
            "album": s.album,
            "melon_url": song.melon_url,
            "melon_search_url": song.melon_search_url,
        },
    }


class JobRunner:
    """Runs one job at a time in this process: claim, compute, store, clean up."""

    def __init__(
        self, settings: Settings, database: Database, queue: JobQueue, pipeline: Pipeline
    ) -> None:
        self.settings = settings
        self.db = database
        self.queue = queue
        self.pipeline = pipeline
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.notifier = queue.notifier()
        self.done = 0
        self.failed = 0
        self.last_error: str | None = None

    def run(self, job_id: str) -> None:
        """The huey task body. Raises only for transient errors (huey retries with back-off)."""
        with self.db.transaction() as s:
            claim = jobs.claim(s, job_id=job_id, lease_seconds=self.settings.job_lease_seconds)
        if not claim.claimed:
            log.info("job %s: not run (%s)", job_id, claim.status)
            return
        started = time.perf_counter()
        try:
            tags, items, tagger, version = self._compute(job_id, claim)
        except (InvalidImage, EmptyQuery) as exc:
            code = f"invalid_image:{exc.reason}" if isinstance(exc, InvalidImage) else "no_tags"
            self._fail(job_id, code)
            return
        except Exception as exc:
            if claim.attempts > self.settings.job_retries:
                log.exception("job %s: failed for good after %d attempts", job_id, claim.attempts)
                self._fail(job_id, f"error:{type(exc).__name__}")
                return
            log.warning("job %s: attempt %d failed (%s); will retry", job_id, claim.attempts, exc)
            with self.db.transaction() as s:
                jobs.release(s, job_id=job_id, error=f"retrying:{type(exc).__name__}")
            raise
        latency = int(1000 * (time.perf_counter() - started))
        with self.db.transaction() as s:
            stored = jobs.complete(
                s,
                job_id=job_id,
                tags=tags,
                tagger=tagger,
                tagger_version=version,
                catalog_version=self.pipeline.catalog.version,
                items=items,
                latency_ms=latency,
            )
        if stored:  # the answer is committed: tell the waiting adapter first, tidy up after
            self.notifier.job_ended(job_id, "done")
        self.queue.photos.delete(job_id)
        self.done += int(stored)
        log.info(
            "job %s: done in %d ms (%d songs)%s",
            job_id,
            latency,
            len(items),
            "" if stored else " [not stored: no longer running]",
        )

    def _fail(self, job_id: str, code: str) -> None:
        with self.db.transaction() as s:
            jobs.fail(s, job_id=job_id, error=code)
        self.notifier.job_ended(job_id, "failed")
        self.queue.photos.delete(job_id)
        self.failed += 1
        self.last_error = code
        log.info("job %s: failed (%s)", job_id, code)

    def _compute(
        self, job_id: str, claim: jobs.Claim
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str, str]:
        kind, text = claim.kind, claim.query_text
        if kind == "playlist":
            return self._playlist(claim.session_id)
        if kind == "text":
            rec = self.pipeline.recommend_text(text or "")
        else:
            data = self.queue.photos.get(job_id)
            if data is None:
                raise InvalidImage("missing", "the photo is no longer available")
            rec = self.pipeline.recommend_photo_bytes(data)
        version = (
            self.pipeline.text_tagger.version if kind == "text" else self.pipeline.tagger.version
        )
        return self._tags(rec), [_item(x) for x in rec.songs], rec.tagger, version

    def _tags(self, rec: Recommendation) -> list[dict[str, Any]]:
        cat = self.pipeline.catalog
        out = []
        for key, weight in rec.extra.get("query_tags", []):
            i = cat.tag_index.get(key)
            shown = i is not None and bool(cat.tag_categories[i])
            display = cat.tag_display[i] if i is not None else key
            out.append(
                {"key": key, "tag": display, "weight": round(float(weight), 4), "shown": shown}
            )
        return out

    def _playlist(
        self, session_id: int | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str, str]:
        with self.db.reader() as s:
            rows = s.execute(
                select(Request.tags, func.coalesce(User.display_name, User.external_id))
                .join(User, User.id == Request.user_id)
                .where(
                    Request.session_id == session_id,
                    Request.kind == "photo",
                    Request.status == "done",
                )
                .order_by(Request.created_at)
            ).all()
        contributions = [
            Contribution(user, tuple(TagWeight(t["key"], t["weight"]) for t in tags or []))
            for tags, user in rows
        ]
        if not any(c.tags for c in contributions):
            raise EmptyQuery("no photo in this playlist session has tags")
        pairs = blend(self.pipeline.recommender, contributions, self.settings.top_k)
        merged: dict[str, dict[str, Any]] = {}
        for c in contributions:
            for t in c.tags:
                i = self.pipeline.catalog.tag_index.get(t.tag)
                if i is not None and t.tag not in merged:
                    shown = bool(self.pipeline.catalog.tag_categories[i])
                    merged[t.tag] = {
                        "key": t.tag,
                        "tag": self.pipeline.catalog.tag_display[i],
                        "weight": t.weight,
                        "shown": shown,
                    }
        return (
            list(merged.values()),
            [_item(song, user) for song, user in pairs],
            "playlist",
            "blend-1",
        )

    # -- housekeeping ----------------------------------------------------------------------

    def beat(self) -> None:
        """Write this process's heartbeat row (created on first beat)."""
        now = utcnow()
        with self.db.transaction() as s:
            beat = s.get(WorkerBeat, self.worker_id)
            if beat is None:
                beat = WorkerBeat(id=self.worker_id, started_at=now, tagger=self.settings.tagger)
                s.add(beat)
            beat.last_seen = now
            beat.jobs_done, beat.jobs_failed, beat.last_error = (
                self.done,
                self.failed,
                self.last_error,
            )

    def retire(self) -> None:
        """Remove the heartbeat row: a stopped worker is not 'alive'."""
        with self.db.transaction() as s:
            s.execute(delete(WorkerBeat).where(WorkerBeat.id == self.worker_id))


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


class Housekeeper(threading.Thread):
    """Heartbeat and reaper, every `interval` seconds, until the process ends."""

    def __init__(self, runner: JobRunner, interval: float) -> None:
        super().__init__(name="mri-housekeeper", daemon=True)
        self.runner = runner
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.runner.beat()
                reap(self.runner.settings, self.runner.db, self.runner.queue)
            except (OperationalError, MriError, OSError) as exc:
                log.warning("housekeeping failed: %s", exc)
            self.stopped.wait(self.interval)


def run_worker(settings: Settings, workers: int = 1, *, processes: bool = True) -> None:
    """Run the consumer until SIGTERM/SIGINT. Each worker process loads the models once.

    The cores are shared out: N worker processes use num_threads // N model threads each, as
    oversubscribed OpenMP threads make every job slower (measured: 50 ms -> 0.2-2 s)."""
    per_process = max(1, min(settings.num_threads, (os.cpu_count() or 1)) // workers)
    settings = settings.model_copy(update={"num_threads": per_process})
    boot = Database(settings.resolved_database_url)
    boot.upgrade()
    boot.dispose()  # no engine may cross the fork
    queue = JobQueue(settings)
    state: dict[str, Any] = {}

    @queue.huey.on_startup()  # type: ignore[untyped-decorator]
    def _load() -> None:
        database = Database(settings.resolved_database_url)
        pipeline = Pipeline.from_settings(settings)
        _ = pipeline.tagger  # load the image model now, not on the first photo
        runner = JobRunner(settings, database, queue, pipeline)
        queue.set_handler(runner.run)
        keeper = Housekeeper(runner, interval=min(5.0, settings.job_lease_seconds / 3))
        keeper.start()
        state.update(runner=runner, keeper=keeper)
        log.info(
            "worker %s ready (catalog %s, tagger %s)",
            runner.worker_id,
            pipeline.catalog.version,
            settings.tagger,
        )

    @queue.huey.on_shutdown()  # type: ignore[untyped-decorator]
    def _stop() -> None:
        keeper, runner = state.get("keeper"), state.get("runner")
        if keeper is not None and runner is not None:
            keeper.stopped.set()
            runner.retire()
            runner.db.dispose()

    redis = queue.kind == "redis"
    consumer = queue.consumer(
        workers=workers,
        worker_type=WORKER_PROCESS if processes else WORKER_THREAD,
        periodic=False,
        # Redis blocks on an empty queue. SQLite is polled: every 2 ms right after a job,
        # backing off to 10 ms when idle (a poll is one small SQLite transaction).
        initial_delay=0.002,
        backoff=1.1,
        max_delay=1.0 if redis else 0.01,
        graceful_signal="TERM",
        shutdown_timeout=max(settings.job_lease_seconds / 2, 5.0),
        check_worker_health=True,
        health_check_interval=5,
    )
    log.info("starting %d worker(s) on the %s queue", workers, queue.kind)
    consumer.run()
