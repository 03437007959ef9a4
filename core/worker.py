"""The worker: a huey consumer whose processes each load the catalog and tagger once.

`run_worker` is what `mri worker` runs. Per worker process (after the fork): a `Database`, a
`Pipeline` and a `JobRunner`, plus a housekeeping thread (core/housekeeping.py: heartbeat,
reaper, orphan-photo sweep). SIGTERM is a graceful stop: the job in hand is finished (or, past
the shutdown timeout, left to the reaper, which re-runs it).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import socket
import time
from typing import Any

from huey.consumer import WORKER_PROCESS, WORKER_THREAD
from sqlalchemy import delete

from core.blends import Blender, Computed, NothingUsable, song_item
from core.config import Settings
from core.db import jobs, steering
from core.db.database import Database
from core.db.models import WorkerBeat, utcnow
from core.domain import Recommendation, TagWeight
from core.errors import EmptyQuery, InvalidImage, TaggerUnavailable
from core.feedback import LiveVoteStats, rerank
from core.followups import FollowUps
from core.housekeeping import Housekeeper
from core.imaging import load_image
from core.interleave import team_draft
from core.pipeline import Pipeline
from core.queue import JobQueue
from core.startup import open_database, open_queue
from core.tagging.base import Tagger
from core.tagging.factory import build_tagger

log = logging.getLogger(__name__)


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
        self._ab: tuple[Tagger, Tagger] | bool | None = None  # False: A/B off (unavailable)
        self.votes = LiveVoteStats(
            database, ttl=settings.vote_stats_ttl_seconds, prior=settings.vote_prior
        )
        self.blender = Blender(settings, database, pipeline, self.votes)
        self.followups = FollowUps(database, pipeline)

    def run(self, job_id: str) -> None:
        """The huey task body. Raises only for transient errors (huey retries with back-off)."""
        with self.db.transaction() as s:
            claim = jobs.claim(s, job_id=job_id, lease_seconds=self.settings.job_lease_seconds)
        if not claim.claimed:
            log.info("job %s: not run (%s)", job_id, claim.status)
            if claim.status == "missing":  # forgotten (/forget) before a worker got to it
                self.queue.photos.delete(job_id)
            return
        started = time.perf_counter()
        try:
            answer = self._compute(job_id, claim)
        except (InvalidImage, EmptyQuery) as exc:
            code = f"invalid_image:{exc.reason}" if isinstance(exc, InvalidImage) else "no_tags"
            self._fail(job_id, code, exc.parts if isinstance(exc, NothingUsable) else None)
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
                tags=answer.tags,
                tagger=answer.tagger,
                tagger_version=answer.version,
                catalog_version=self.pipeline.catalog.version,
                items=answer.items,
                latency_ms=latency,
                parts=answer.parts,
                evidence=answer.evidence,
            )
            if stored and claim.kind == "revision":
                steering.finish_revision(
                    s, job_id=job_id, dropped=answer.dropped, added=answer.added,
                    notice=answer.notice,
                )  # fmt: skip
        if stored:  # the answer is committed: tell the waiting adapter first, tidy up after
            self.notifier.job_ended(job_id, "done")
        self.queue.photos.delete(job_id)
        self.done += int(stored)
        log.info(
            "job %s: done in %d ms (%d songs)%s",
            job_id,
            latency,
            len(answer.items),
            "" if stored else " [not stored: no longer running]",
        )

    def _fail(self, job_id: str, code: str, parts: list[dict[str, Any]] | None = None) -> None:
        with self.db.transaction() as s:
            jobs.fail(s, job_id=job_id, error=code, parts=parts)
        self.notifier.job_ended(job_id, "failed")
        self.queue.photos.delete(job_id)
        self.failed += 1
        self.last_error = code
        log.info("job %s: failed (%s)", job_id, code)

    def _compute(self, job_id: str, claim: jobs.Claim) -> Computed:
        kind, text = claim.kind, claim.query_text
        if kind == "playlist":
            return self.blender.playlist(claim.session_id)
        if kind == "album":
            return self.blender.album(self.queue.photos.get(job_id), claim)
        if kind in ("revision", "similar"):
            rerank = (lambda rec: self._rerank(rec, claim)) if kind == "revision" else None
            return self.followups.compute(job_id, self.settings.top_k, self._tags, rerank)
        pool = self.settings.top_k * (3 if self._reranking else 1)
        if kind in ("text", "inline"):
            rec = self.pipeline.recommend_text(text or "", top_k=pool)
        else:
            data = self.queue.photos.get(job_id)
            if data is None:
                raise InvalidImage("missing", "the photo is no longer available")
            pair = self._ab_pair()
            if pair is not None:
                return self._interleaved(job_id, data, pair, pool, claim)
            rec = self.pipeline.recommend_photo_bytes(data, top_k=pool)
        rec = self._rerank(rec, claim)
        version = (
            self.pipeline.tagger.version if kind == "photo" else self.pipeline.text_tagger.version
        )
        classes = rec.extra.get("classes")
        evidence = {"classes": [[c, round(e, 4)] for c, e in classes]} if classes else None
        songs = [song_item(x) for x in rec.songs]
        return Computed(self._tags(rec), songs, rec.tagger, version, evidence=evidence)

    def _ab_pair(self) -> tuple[Tagger, Tagger] | None:
        """The two taggers MRI_AB_TAGGERS compares, loaded once; None when off or unavailable
        (then replies come from the configured tagger alone, and the log says why)."""
        spec = (self.settings.ab_taggers or "").strip()
        if not spec or self._ab is False:
            return None
        if self._ab is None:
            names = [n.strip() for n in spec.split(",") if n.strip()]
            try:
                if len(names) != 2 or names[0] == names[1]:
                    raise TaggerUnavailable(f"MRI_AB_TAGGERS needs two different taggers: {spec!r}")
                shared: dict[str, Tagger] = {}
                cat, st = self.pipeline.catalog, self.settings
                self._ab = (
                    build_tagger(names[0], cat, st, shared=shared),
                    build_tagger(names[1], cat, st, shared=shared),
                )
            except TaggerUnavailable as exc:
                log.warning("A/B comparison off: %s", exc)
                self._ab = False
                return None
        return self._ab if isinstance(self._ab, tuple) else None

    def _interleaved(
        self, job_id: str, data: bytes, pair: tuple[Tagger, Tagger], pool: int, claim: jobs.Claim
    ) -> Computed:
        """Both taggers' lists, team-draft interleaved; each song remembers its tagger."""
        s = self.settings
        image = load_image(data, max_bytes=s.max_image_bytes, max_pixels=s.max_image_pixels)
        recs = []
        for tagger in pair:
            seen = list(tagger.tag_batch([image])[0].tags)
            recs.append(self._rerank(self.pipeline.recommend_tags(seen, pool, tagger.name), claim))
        a, b = pair[0].name, pair[1].name
        drafted = team_draft(
            recs[0].songs, recs[1].songs, s.top_k, key=lambda x: x.song.id, teams=(a, b),
            rng=random.Random(job_id),  # the same draft if the job runs again
        )  # fmt: skip
        items = [song_item(d.item, source=d.team) for d in drafted]
        merged: dict[str, dict[str, Any]] = {}
        for rec in recs:
            for tag in self._tags(rec):
                if tag["key"] not in merged or tag["weight"] > merged[tag["key"]]["weight"]:
                    merged[tag["key"]] = tag
        shown = sorted(merged.values(), key=lambda t: -float(t["weight"]))
        return Computed(shown, items, f"{a}|{b}", f"{pair[0].version}|{pair[1].version}"[:64])

    @property
    def _reranking(self) -> bool:
        return self.settings.vote_rerank and self.settings.vote_rerank_strength > 0

    def _rerank(self, rec: Recommendation, claim: jobs.Claim) -> Recommendation:
        """Songs liked for similar tags (everywhere, and more so in this chat) move up."""
        top_k = self.settings.top_k
        if not self._reranking:
            return rec
        stats = self.votes.get()
        query = [TagWeight(k, w) for k, w in rec.extra.get("query_tags", [])]
        chat = str(claim.chat_pk) if claim.chat_pk is not None else None
        songs = rerank(
            rec.songs, query, stats, chat=chat, strength=self.settings.vote_rerank_strength
        )
        return dataclasses.replace(rec, songs=tuple(songs[:top_k]))

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

    # -- housekeeping ----------------------------------------------------------------------

    def beat(self) -> None:
        """Write this process's heartbeat row (created on first beat)."""
        now = utcnow()
        with self.db.transaction() as s:
            beat = s.get(WorkerBeat, self.worker_id)
            if beat is None:
                beat = WorkerBeat(
                    id=self.worker_id, started_at=now, tagger=self.pipeline.tagger_label[:64]
                )
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


def run_worker(settings: Settings, workers: int = 1, *, processes: bool = True) -> None:
    """Run the consumer until SIGTERM/SIGINT. Each worker process loads the models once.

    The cores are shared out: N worker processes use num_threads // N model threads each, as
    oversubscribed OpenMP threads make every job slower (measured: 50 ms -> 0.2-2 s)."""
    per_process = max(1, min(settings.num_threads, (os.cpu_count() or 1)) // workers)
    settings = settings.model_copy(update={"num_threads": per_process})
    open_database(settings).dispose()  # waits for it, migrates; no engine may cross the fork
    queue = open_queue(settings)
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
            pipeline.tagger_label,
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
