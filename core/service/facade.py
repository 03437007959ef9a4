"""`RecommendService`: everything a chat adapter may ask of MRI, and nothing else.

A facade over small components, each with its own concern and all their queries in `core/db`:
submissions (photo or text in, job id out), results (waiting, late delivery), votes, group
playlists and accounts (language, /forget, numbers). Database and queue calls run in threads,
so the event loop of a chat library never blocks on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from core import album
from core.catalog import shown_tags
from core.config import Settings
from core.db.database import Database
from core.domain import ClosedPlaylist, DeliveryClaim, JobResult, Queued, VoteOutcome
from core.queue import JobQueue
from core.service.accounts import Accounts, ServiceStatus
from core.service.playlists import Playlists
from core.service.results import Results
from core.service.steering import Steering
from core.service.submissions import Submissions
from core.service.votes import Votes
from core.startup import open_database, open_queue
from core.steer_words import parse_steer


class RecommendService:
    """One per adapter process. All public methods but `status` are coroutines."""

    def __init__(self, settings: Settings, database: Database, queue: JobQueue) -> None:
        self.settings = settings
        self.db = database
        self.queue = queue
        parts = (settings, database, queue)
        self.submissions = Submissions(*parts)
        self.results = Results(*parts)
        self.votes = Votes(*parts)
        self.playlists = Playlists(*parts)
        self.steering = Steering(*parts, submissions=self.submissions, results=self.results)
        self.accounts = Accounts(*parts, on_forget=self.submissions.forget_cached)

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
        await self.results.aclose()
        self.db.dispose()

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
        self.submissions.check_photo(photo)
        return await self.submissions.run(
            self.submissions.submit, "photo", platform, chat_id, chat_kind, user_id, message_ref,
            photo=photo, session_id=session_id, user_name=user_name,
        )  # fmt: skip

    async def submit_album(
        self,
        *,
        platform: str,
        chat_id: str,
        chat_kind: str,
        user_id: str,
        photos: Mapping[int, bytes],
        refused: Mapping[int, str] | None = None,
        message_ref: str | None = None,
        user_name: str | None = None,
    ) -> str:
        """Queue photos sent together (position -> bytes, from 1) as one request: one reply,
        one list blended from all of them that says which photo brought each song. `refused`:
        positions the adapter could not use (-> a failure code such as invalid_image:too_large);
        the reply names them, and those the worker cannot use, while the rest go on."""
        usable, parts = self.submissions.album_parts(photos, refused or {})
        return await self.submissions.run(
            self.submissions.submit, "album", platform, chat_id, chat_kind, user_id, message_ref,
            photo=album.pack(usable), user_name=user_name, parts=parts,
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
        return await self.submissions.run(
            self.submissions.submit, "text", platform, chat_id, chat_kind, user_id, message_ref,
            text=text, user_name=user_name,
        )  # fmt: skip

    # -- waiting and delivering ----------------------------------------------------------------

    async def wait(self, job_id: str, timeout: float | None = None) -> JobResult:
        """The answer once the job is done. JobTimeout when not yet; JobFailed if it failed."""
        return await self.results.wait(job_id, timeout)

    async def result(self, job_id: str) -> JobResult:
        """The stored state of a job (any status). UnknownJob if there is none."""
        return await self.results.result(job_id)

    async def set_reply_ref(self, job_id: str, reply_ref: str) -> None:
        """Remember the message shown for a job before its answer (a placeholder)."""
        await self.results.set_reply_ref(job_id, reply_ref)

    async def claim_delivery(self, job_id: str) -> DeliveryClaim | None:
        """Phase one: the right to send (or edit in) this finished job's reply, for
        MRI_DELIVERY_LEASE_SECONDS; None when delivered, unfinished or claimed by another."""
        return await self.results.claim_delivery(job_id)

    async def confirm_delivery(self, job_id: str, reply_ref: str | None) -> bool:
        """Phase two: the reply is out (in message `reply_ref`)."""
        return await self.results.confirm_delivery(job_id, reply_ref)

    async def release_delivery(self, job_id: str, error: str, *, permanent: bool = False) -> bool:
        """The send failed: retried later by any adapter (or given up if `permanent`)."""
        return await self.results.release_delivery(job_id, error, permanent=permanent)

    async def undelivered(self, platform: str, older_than: float = 0.0) -> list[str]:
        """Finished jobs whose reply is owed and free to claim (restart, failed send, an
        adapter that died holding it)."""
        return await self.results.undelivered(platform, older_than)

    # -- votes -----------------------------------------------------------------------------

    async def toggle_vote(
        self, *, platform: str, user_id: str, item_id: int, value: int, chat_id: str
    ) -> VoteOutcome:
        """A 👍 (+1) or 👎 (-1) button in `chat_id`: adds the vote, changes it, or removes it when
        it was already this one, in one transaction; the outcome carries the new counts."""
        return await self.votes.toggle_vote(
            platform=platform, user_id=user_id, item_id=item_id, value=value, chat_id=chat_id
        )

    async def react_vote(
        self, *, platform: str, user_id: str, item_id: int, value: int, added: bool, chat_id: str
    ) -> VoteOutcome:
        """A 👍/👎 reaction added or removed (the whole-list vote on Discord)."""
        return await self.votes.react_vote(
            platform=platform, user_id=user_id, item_id=item_id, value=value, added=added,
            chat_id=chat_id,
        )  # fmt: skip

    async def record_vote(
        self, *, platform: str, user_id: str, item_id: int, value: int, chat_id: str | None = None
    ) -> int:
        """+1 / -1, or 0 to remove. With `chat_id`, only items shown in that chat count."""
        return await self.votes.record_vote(
            platform=platform, user_id=user_id, item_id=item_id, value=value, chat_id=chat_id
        )

    async def current_vote(self, *, platform: str, user_id: str, item_id: int) -> int:
        """The user's vote on an item: +1, -1 or 0 (none)."""
        return await self.votes.current_vote(platform=platform, user_id=user_id, item_id=item_id)

    async def job_of_item(self, item_id: int) -> str:
        """The job whose reply holds this item (to redraw its vote buttons)."""
        return await self.votes.job_of_item(item_id)

    async def vote_totals(self, job_id: str) -> dict[int, tuple[int, int]]:
        """item id -> (👍, 👎) for one reply."""
        return await self.votes.vote_totals(job_id)

    # -- steering a reply ------------------------------------------------------------------

    async def revise(
        self,
        *,
        platform: str,
        chat_id: str,
        user_id: str,
        steer: dict[str, Any],
        item_id: int | None = None,
        reply_ref: str | None = None,
    ) -> Queued:
        """Queue a revision of a reply (found by one of its items, or by `reply_ref`, the chat
        message that shows it): `steer` is {"drop": [tags], "add": [tags], "energy": +1|-1}.
        Drawn in message `reply_ref` (the one pressed or replied to), else the reply's own;
        only the reply's asker may steer it (NotAllowed)."""
        return await self.steering.revise(
            platform=platform, chat_id=chat_id, user_id=user_id, steer=steer, item_id=item_id,
            reply_ref=reply_ref,
        )  # fmt: skip

    @staticmethod
    def steer_of(words: str) -> dict[str, Any] | None:
        """What words written to a reply ask for ("+바다 -노을", "더 신나게", "calmer") as
        `revise` takes it; None when they ask for none of it."""
        steer = parse_steer(words)
        if steer.empty:
            return None
        asked: dict[str, Any] = {"drop": list(steer.drop), "add": list(steer.add)}
        return {**asked, "energy": steer.energy} if steer.energy else asked

    @cached_property
    def mood_words(self) -> list[str]:
        """The catalog's shown tags, most used first (what to suggest while a mood is typed)."""
        return shown_tags(self.settings.catalog_dir)

    async def similar(self, *, platform: str, chat_id: str, user_id: str, item_id: int) -> str:
        """Queue songs like the song of `item_id` (never the same song or artist)."""
        return await self.steering.similar(
            platform=platform, chat_id=chat_id, user_id=user_id, item_id=item_id
        )

    async def inline(self, *, platform: str, user_id: str, text: str) -> JobResult:
        """Songs for words typed in any chat (inline mode), cached per query."""
        return await self.steering.inline(platform=platform, user_id=user_id, text=text)

    # -- group playlists -------------------------------------------------------------------

    async def open_playlist(self, *, platform: str, chat_id: str, user_id: str) -> int:
        """Start (or return the already open) playlist session of a group chat."""
        return await self.playlists.open_playlist(
            platform=platform, chat_id=chat_id, user_id=user_id
        )

    async def open_playlist_id(self, *, platform: str, chat_id: str) -> int | None:
        """The open session of a chat, if any (photos sent now join it)."""
        return await self.playlists.open_playlist_id(platform=platform, chat_id=chat_id)

    async def group_playlist(
        self, *, platform: str, chat_id: str, user_id: str, message_ref: str | None = None
    ) -> str:
        """Close the chat's open session and queue the blend of its photos; returns a job id."""
        return await self.playlists.group_playlist(
            platform=platform, chat_id=chat_id, user_id=user_id, message_ref=message_ref
        )

    async def close_due_playlists(self, platform: str) -> list[ClosedPlaylist]:
        """Close the sessions whose MRI_PLAYLIST_WINDOW_SECONDS ran out (also those opened
        before a restart) and queue their blends; each is closed by one process only."""
        return await self.playlists.close_due_playlists(platform)

    # -- people ----------------------------------------------------------------------------

    async def forget_user(self, *, platform: str, user_id: str) -> int:
        """Delete what is this person's and the photos of their unfinished jobs; returns how
        many rows went (core/db/people.py says exactly what)."""
        return await self.accounts.forget_user(platform=platform, user_id=user_id)

    async def language(self, *, platform: str, user_id: str) -> str:
        return await self.accounts.language(platform=platform, user_id=user_id)

    async def set_language(self, *, platform: str, user_id: str, language: str) -> None:
        await self.accounts.set_language(platform=platform, user_id=user_id, language=language)

    async def asked_in_words(self, *, platform: str, user_id: str) -> bool:
        """Whether the person asked for a mood in words before (/mood or plain text)."""
        return await self.accounts.asked_in_words(platform=platform, user_id=user_id)

    # -- health ----------------------------------------------------------------------------

    async def stats(self) -> ServiceStatus:
        return await self.accounts.stats()

    def status(self) -> ServiceStatus:
        """Synchronous variant for the CLI."""
        return self.accounts.status()
