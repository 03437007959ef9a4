"""`RecommendService`: everything a chat adapter may ask of MRI, and nothing else.

Adapters submit a photo or a text and get a job id back at once; `wait` gives the answer when
a worker has it (or raises JobTimeout, and the adapter says "still working" and waits on).
Replies are sent at most once per job: the adapter calls `claim_delivery` first. Database and
queue calls run in threads, so the event loop of a chat library never blocks on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import feedback, jobs, people
from core.db.database import Database
from core.db.models import Chat, PlaylistSession, RecommendedItem, Request, User, Vote, utcnow
from core.domain import JobResult, ReplyItem, TagWeight
from core.errors import (
    InvalidImage,
    JobFailed,
    JobTimeout,
    MriError,
    NotAllowed,
    QueueUnavailable,
    UnknownItem,
    UnknownJob,
)
from core.notify import Listener
from core.queue import JobQueue
from core.startup import open_database, open_queue

log = logging.getLogger(__name__)
T = TypeVar("T")

LANGUAGES = ("ko", "en")


class NoOpenPlaylist(MriError):  # noqa: N818
    """`/playlist done` in a chat without an open playlist session."""


@dataclass(frozen=True)
class ServiceStatus:
    """Queue and database health for `mri status` and `/stats`."""

    queue_kind: str
    queue_pending: int | None
    stats: feedback.Stats


_RESULT_COLUMNS = (
    Request.id,
    Request.job_id,
    Request.kind,
    Request.status,
    Request.message_ref,
    Request.tags,
    Request.tagger,
    Request.catalog_version,
    Request.error,
    Request.session_id,
    Chat.platform,
    Chat.external_id.label("chat_external_id"),
    User.external_id.label("user_external_id"),
)
_ITEM_COLUMNS = (
    RecommendedItem.id,
    RecommendedItem.rank,
    RecommendedItem.song_id,
    RecommendedItem.score,
    RecommendedItem.reasons,
    RecommendedItem.song,
)


def _load_result(s: Session, job_id: str) -> JobResult:
    """Two indexed queries, no ORM objects: this sits on the reply's critical path."""
    req = s.execute(
        select(*_RESULT_COLUMNS)
        .join(Chat, Chat.id == Request.chat_id)
        .outerjoin(User, User.id == Request.user_id)  # None: anonymised by /forget
        .where(Request.job_id == job_id)
    ).first()
    if req is None:
        raise UnknownJob(f"no job {job_id}")
    rows = s.execute(
        select(*_ITEM_COLUMNS)
        .where(RecommendedItem.request_id == req.id)
        .order_by(RecommendedItem.rank)
    ).all()
    items = tuple(
        ReplyItem(
            item_id=i.id,
            rank=i.rank,
            song_id=i.song_id,
            title=i.song.get("title") or "",
            artists=tuple(i.song.get("artists") or ()),
            album=i.song.get("album"),
            melon_url=i.song.get("melon_url"),
            melon_search_url=i.song.get("melon_search_url") or "",
            score=i.score,
            because=tuple(i.reasons.get("because") or ()),
            from_user=i.reasons.get("from_user"),
        )
        for i in rows
        if i.rank > 0
    )
    list_item = next((i.id for i in rows if i.rank == 0), None)
    tags = tuple(
        TagWeight(t["tag"], float(t["weight"])) for t in (req.tags or []) if t.get("shown", True)
    )
    return JobResult(
        job_id=req.job_id,
        kind=req.kind,
        status=req.status,
        platform=req.platform,
        chat_id=req.chat_external_id,
        user_id=req.user_external_id or "",
        message_ref=req.message_ref,
        tags=tags,
        items=items,
        tagger=req.tagger,
        catalog=req.catalog_version,
        error=req.error,
        session_id=req.session_id,
        list_item_id=list_item,
    )


class RecommendService:
    """One per adapter process. Thread-safe; all public methods are coroutines."""

    def __init__(self, settings: Settings, database: Database, queue: JobQueue) -> None:
        self.settings = settings
        self.db = database
        self.queue = queue
        self._waiters: dict[str, list[asyncio.Future[str]]] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._listener: Listener | None = None
        self._pks: dict[tuple[str, str, str], int] = {}  # (user|chat, platform, id) -> row id
        self._names: dict[tuple[str, str], str] = {}  # display names already stored

    @classmethod
    def from_settings(
        cls, settings: Settings, *, migrate: bool = True, wait: bool = True
    ) -> RecommendService:
        """Connected to the database (migrated) and the queue. With `wait`, unreachable servers
        are retried for MRI_STARTUP_TIMEOUT_SECONDS (core/startup.py); without, tried once."""
        if not wait:
            settings = settings.model_copy(update={"startup_timeout_seconds": 0.0})
        if not migrate:
            return cls(settings, Database(settings.resolved_database_url), JobQueue(settings))
        database = open_database(settings)
        try:
            return cls(settings, database, open_queue(settings))
        except BaseException:
            database.dispose()
            raise

    async def aclose(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._listener is not None:
            self._listener.close()
        self.db.dispose()

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except OperationalError as exc:  # SQLite locked past its busy timeout, server down
            log.warning("database unavailable: %s", exc.orig)
            raise QueueUnavailable(f"the database is unavailable: {exc.orig}") from exc

    # -- submitting ------------------------------------------------------------------------

    async def submit_photo(
        self,
        *,
        platform: str,
        chat_id: str,
        chat_kind: str,
        user_id: str,
        photo: bytes,
        message_ref: str | None = None,
        session_id: int | None = None,
        user_name: str | None = None,
    ) -> str:
        """Queue a photo; returns the job id. Refuses empty and oversized photos up front.

        `user_name` (a display name) is kept only to credit people in group playlists."""
        if not photo:
            raise InvalidImage("empty", "the photo is empty (0 bytes)")
        if len(photo) > self.settings.max_image_bytes:
            raise InvalidImage(
                "too_large", f"the photo is larger than {self.settings.max_image_bytes} bytes"
            )
        return await self._run(
            self._submit, "photo", platform, chat_id, chat_kind, user_id, message_ref,
            photo=photo, session_id=session_id, user_name=user_name,
        )  # fmt: skip

    async def submit_text(
        self,
        *,
        platform: str,
        chat_id: str,
        chat_kind: str,
        user_id: str,
        text: str,
        message_ref: str | None = None,
        user_name: str | None = None,
    ) -> str:
        """Queue a text query (a mood in words); returns the job id."""
        text = text.replace("\x00", "").strip()[:500]  # PostgreSQL text cannot hold NUL
        if not text:
            raise ValueError("empty text query")
        return await self._run(
            self._submit, "text", platform, chat_id, chat_kind, user_id, message_ref,
            text=text, user_name=user_name,
        )  # fmt: skip

    def _submit(
        self,
        kind: str,
        platform: str,
        chat_id: str,
        chat_kind: str,
        user_id: str,
        message_ref: str | None,
        *,
        photo: bytes | None = None,
        text: str | None = None,
        session_id: int | None = None,
        user_name: str | None = None,
    ) -> str:
        job_id = str(uuid.uuid4())
        if photo is not None:
            try:
                self.queue.photos.put(job_id, photo)
            except OSError as exc:  # disk full, Redis down: nothing was written
                raise QueueUnavailable(f"cannot store the photo: {exc}") from exc
        args = (job_id, kind, platform, chat_id, chat_kind, user_id, message_ref, photo, text)
        try:
            try:
                self._insert(*args, session_id=session_id, user_name=user_name)
            except IntegrityError:  # a cached user/chat was deleted meanwhile: look them up again
                self._pks.clear()
                self._insert(*args, session_id=session_id, user_name=user_name)
        except BaseException:
            if photo is not None:
                self.queue.photos.delete(job_id)
            raise
        try:
            self.queue.enqueue(job_id)
        except QueueUnavailable as exc:  # the row is queued: the worker's reaper re-sends it
            log.warning("job %s stored but not enqueued (%s); the reaper will send it", job_id, exc)
        return job_id

    def _insert(
        self,
        job_id: str,
        kind: str,
        platform: str,
        chat_id: str,
        chat_kind: str,
        user_id: str,
        message_ref: str | None,
        photo: bytes | None,
        text: str | None,
        *,
        session_id: int | None,
        user_name: str | None,
    ) -> None:
        name = user_name.replace("\x00", "").strip()[:64] if user_name else None
        with self.db.transaction() as s:
            user_pk = self._pks.get(("user", platform, user_id))
            if user_pk is None:
                user_pk = people.get_or_create_user(s, platform=platform, external_id=user_id).id
            if name and self._names.get((platform, user_id)) != name:
                s.execute(update(User).where(User.id == user_pk).values(display_name=name))
            chat_pk = self._pks.get(("chat", platform, chat_id))
            if chat_pk is None:
                chat_pk = people.get_or_create_chat(
                    s, platform=platform, external_id=chat_id, kind=chat_kind
                ).id
            jobs.create_request(
                s,
                job_id=job_id,
                kind=kind,
                chat_id=chat_pk,
                user_id=user_pk,
                message_ref=message_ref,
                photo_sha256=hashlib.sha256(photo).hexdigest() if photo is not None else None,
                query_text=text,
                session_id=session_id,
            )
        if len(self._pks) > 50_000:  # a bounded cache of row ids: two lookups fewer per job
            self._pks.clear()
            self._names.clear()
        self._pks[("user", platform, user_id)] = user_pk
        self._pks[("chat", platform, chat_id)] = chat_pk
        if name:
            self._names[(platform, user_id)] = name

    # -- waiting and delivering ----------------------------------------------------------------

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
            if await self._run(self._exists, job_id):
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
            ended = await self._run(self._ended, list(self._waiters))
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
        return await self._run(self._result, job_id)

    def _result(self, job_id: str) -> JobResult:
        with self.db.reader() as s:
            return _load_result(s, job_id)

    async def claim_delivery(self, job_id: str) -> bool:
        """True exactly once per finished job: the caller that gets True sends the reply."""

        def claim() -> bool:
            with self.db.transaction() as s:
                return jobs.claim_delivery(s, job_id=job_id)

        return await self._run(claim)

    async def undelivered(self, platform: str) -> list[str]:
        """Finished jobs whose reply was never sent (for an adapter that restarted)."""

        def find() -> list[str]:
            with self.db.reader() as s:
                return jobs.undelivered(s, platform=platform)

        return await self._run(find)

    # -- votes -----------------------------------------------------------------------------

    async def record_vote(
        self, *, platform: str, user_id: str, item_id: int, value: int, chat_id: str | None = None
    ) -> int:
        """+1 / -1, or 0 to remove. With `chat_id`, only items shown in that chat count."""

        def vote() -> int:
            with self.db.transaction() as s:
                if chat_id is not None:
                    self._check_item_chat(s, item_id, platform, chat_id)
                user = people.get_or_create_user(s, platform=platform, external_id=user_id)
                return feedback.record_vote(s, user_id=user.id, item_id=item_id, value=value)

        return await self._run(vote)

    @staticmethod
    def _check_item_chat(s: Session, item_id: int, platform: str, chat_id: str) -> None:
        row = s.execute(
            select(Chat.platform, Chat.external_id)
            .join(Request, Request.chat_id == Chat.id)
            .join(RecommendedItem, RecommendedItem.request_id == Request.id)
            .where(RecommendedItem.id == item_id)
        ).first()
        if row is None:
            raise UnknownItem(f"no recommended item {item_id}")
        if tuple(row) != (platform, chat_id):
            raise NotAllowed("this song was recommended in another chat")

    async def job_of_item(self, item_id: int) -> str:
        """The job whose reply holds this item (to redraw its vote buttons)."""

        def find() -> str:
            with self.db.reader() as s:
                job = s.scalar(
                    select(Request.job_id)
                    .join(RecommendedItem, RecommendedItem.request_id == Request.id)
                    .where(RecommendedItem.id == item_id)
                )
                if job is None:
                    raise UnknownItem(f"no recommended item {item_id}")
                return job

        return await self._run(find)

    async def current_vote(self, *, platform: str, user_id: str, item_id: int) -> int:
        """The user's vote on an item: +1, -1 or 0 (none)."""

        def find() -> int:
            with self.db.reader() as s:
                value = s.scalar(
                    select(Vote.value)
                    .join(User, User.id == Vote.user_id)
                    .where(
                        Vote.item_id == item_id,
                        User.platform == platform,
                        User.external_id == user_id,
                    )
                )
                return int(value or 0)

        return await self._run(find)

    async def vote_totals(self, job_id: str) -> dict[int, tuple[int, int]]:
        """item id -> (👍, 👎) for one reply."""

        def totals() -> dict[int, tuple[int, int]]:
            with self.db.reader() as s:
                req = jobs.get_request(s, job_id)
                if req is None:
                    raise UnknownJob(f"no job {job_id}")
                return feedback.vote_totals(s, request_id=req.id)

        return await self._run(totals)

    # -- group playlists -------------------------------------------------------------------

    async def open_playlist(self, *, platform: str, chat_id: str, user_id: str) -> int:
        """Start (or return the already open) playlist session of a group chat."""

        def open_() -> int:
            with self.db.transaction() as s:
                chat = people.get_or_create_chat(
                    s, platform=platform, external_id=chat_id, kind="group"
                )
                user = people.get_or_create_user(s, platform=platform, external_id=user_id)
                existing = self._open_session(s, chat.id)
                if existing is not None:
                    return existing.id
                session = PlaylistSession(chat_id=chat.id, opened_by=user.id)
                s.add(session)
                s.flush()
                return session.id

        return await self._run(open_)

    async def open_playlist_id(self, *, platform: str, chat_id: str) -> int | None:
        """The open session of a chat, if any (photos sent now join it)."""

        def find() -> int | None:
            with self.db.reader() as s:
                chat = s.scalar(
                    select(Chat).where(Chat.platform == platform, Chat.external_id == chat_id)
                )
                session = self._open_session(s, chat.id) if chat else None
                return session.id if session else None

        return await self._run(find)

    @staticmethod
    def _open_session(s: Session, chat_pk: int) -> PlaylistSession | None:
        return s.scalar(
            select(PlaylistSession)
            .where(PlaylistSession.chat_id == chat_pk, PlaylistSession.status == "open")
            .order_by(PlaylistSession.created_at.desc())
            .limit(1)
        )

    async def group_playlist(
        self, *, platform: str, chat_id: str, user_id: str, message_ref: str | None = None
    ) -> str:
        """Close the chat's open session and queue the blend of its photos; returns a job id."""

        def close() -> str:
            job_id = str(uuid.uuid4())
            with self.db.transaction() as s:
                chat = s.scalar(
                    select(Chat).where(Chat.platform == platform, Chat.external_id == chat_id)
                )
                session = self._open_session(s, chat.id) if chat else None
                if chat is None or session is None:
                    raise NoOpenPlaylist("there is no open playlist in this chat")
                session.status, session.closed_at = "closed", utcnow()
                user = people.get_or_create_user(s, platform=platform, external_id=user_id)
                jobs.create_request(
                    s, job_id=job_id, kind="playlist", chat_id=chat.id, user_id=user.id,
                    message_ref=message_ref, session_id=session.id,
                )  # fmt: skip
            try:
                self.queue.enqueue(job_id)
            except QueueUnavailable as exc:
                log.warning("job %s stored but not enqueued (%s)", job_id, exc)
            return job_id

        return await self._run(close)

    # -- people ----------------------------------------------------------------------------

    async def forget_user(self, *, platform: str, user_id: str) -> int:
        """Delete what is this person's (core/db/people.py says exactly what) and the photos of
        their unfinished jobs; returns how many rows went."""

        def forget() -> int:
            self._pks.pop(("user", platform, user_id), None)
            self._names.pop((platform, user_id), None)
            with self.db.transaction() as s:
                done = people.forget_user(s, platform=platform, external_id=user_id)
            for job_id in done.photo_jobs:  # a worker that already holds it drops it too
                try:
                    self.queue.photos.delete(job_id)
                except OSError as exc:  # Redis down: the worker's orphan sweep removes it later
                    log.warning("job %s: photo not deleted yet (%s)", job_id, exc)
            return done.deleted

        return await self._run(forget)

    async def language(self, *, platform: str, user_id: str) -> str:
        def get() -> str:
            with self.db.reader() as s:
                user = people.get_user(s, platform=platform, external_id=user_id)
                return user.language if user else "ko"

        return await self._run(get)

    async def set_language(self, *, platform: str, user_id: str, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")

        def set_() -> None:
            with self.db.transaction() as s:
                people.get_or_create_user(
                    s, platform=platform, external_id=user_id
                ).language = language

        await self._run(set_)

    # -- health ----------------------------------------------------------------------------

    async def stats(self) -> ServiceStatus:
        return await self._run(self.status)

    def status(self) -> ServiceStatus:
        """Synchronous variant for the CLI."""
        try:
            pending: int | None = self.queue.pending()
        except QueueUnavailable:
            pending = None
        with self.db.reader() as s:
            numbers = feedback.stats(s)
        return ServiceStatus(self.queue.kind, pending, numbers)
