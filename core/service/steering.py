"""Steering replies: a revision of a reply's tags (drop, add, nudge the mood), songs like one
song, and inline queries typed in any chat (answered from a small per-query cache)."""

from __future__ import annotations

import logging
import time
import unicodedata
import uuid
from collections import OrderedDict
from typing import Any

from core.config import Settings
from core.db import people
from core.db.database import Database
from core.db.steering import Reply, create_follow_up, reply_of_item, reply_of_message, song_of_item
from core.domain import JobResult, Queued
from core.errors import NotAllowed, QueueUnavailable
from core.queue import JobQueue
from core.service.base import Component
from core.service.results import Results
from core.service.submissions import Submissions

log = logging.getLogger(__name__)

STEERABLE = ("photo", "text", "revision")  # a group playlist is everyone's: not steered
INLINE_TTL_SECONDS = 600.0
INLINE_CACHE_SIZE = 2048


def query_key(text: str) -> str:
    """What makes two inline queries the same: NFC, case and spacing aside."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


class Steering(Component):
    def __init__(
        self,
        settings: Settings,
        database: Database,
        queue: JobQueue,
        *,
        submissions: Submissions,
        results: Results,
    ) -> None:
        super().__init__(settings, database, queue)
        self.submissions = submissions
        self.results = results
        self._inline: OrderedDict[str, tuple[float, JobResult]] = OrderedDict()

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
        """Queue a new revision of the reply holding `item_id` (or shown in message
        `reply_ref`); it is drawn in message `reply_ref` (the one pressed or replied to) or,
        without one, the reply's own. Only its asker may steer a reply: NotAllowed for anyone
        else, UnknownItem for no such reply."""

        def make() -> Queued:
            with self.db.transaction() as s:
                if item_id is not None:
                    reply = reply_of_item(s, item_id=item_id, platform=platform, chat_id=chat_id)
                else:
                    reply = reply_of_message(
                        s, reply_ref=reply_ref or "", platform=platform, chat_id=chat_id
                    )
                self._check(reply, user_id)
                ref = reply_ref or reply.reply_ref
                job = self._follow_up(s, "revision", reply, reply.owner_pk, steer, ref)
                return Queued(job, ref)

        queued = await self.run(make)
        self._enqueue(queued.job_id)
        return queued

    @staticmethod
    def _check(reply: Reply, user_id: str) -> None:
        if reply.kind not in STEERABLE:
            raise NotAllowed("a group playlist's tags are not changed by one member")
        if reply.owner != user_id:
            raise NotAllowed("only the person who asked can change these tags")

    async def similar(self, *, platform: str, chat_id: str, user_id: str, item_id: int) -> str:
        """Queue songs like the song of `item_id`, answered as a new message to whoever
        asked (anyone in the chat where it was shown)."""

        def make() -> str:
            with self.db.transaction() as s:
                reply = reply_of_item(s, item_id=item_id, platform=platform, chat_id=chat_id)
                song, title = song_of_item(s, item_id)
                asker = people.get_or_create_user(s, platform=platform, external_id=user_id)
                steer = {"song": song, "title": title}
                return self._follow_up(s, "similar", reply, asker.id, steer, None)

        job_id = await self.run(make)
        self._enqueue(job_id)
        return job_id

    @staticmethod
    def _follow_up(
        session: Any,
        kind: str,
        reply: Reply,
        user_pk: int | None,
        steer: dict[str, Any],
        reply_ref: str | None,
    ) -> str:
        job_id = str(uuid.uuid4())
        create_follow_up(
            session, job_id=job_id, kind=kind, parent=reply, user_pk=user_pk,
            chat_pk=reply.chat_pk, steer=steer, reply_ref=reply_ref,
        )  # fmt: skip
        return job_id

    def _enqueue(self, job_id: str) -> None:
        try:
            self.queue.enqueue(job_id)
        except QueueUnavailable as exc:  # the row is queued: the worker's reaper re-sends it
            log.warning("job %s stored but not enqueued (%s); the reaper will send it", job_id, exc)

    async def inline(self, *, platform: str, user_id: str, text: str) -> JobResult:
        """Songs for words typed after the bot's name in any chat. The same words within
        INLINE_TTL_SECONDS are answered from the cache; otherwise a job of kind inline is run
        (in the person's private chat, never delivered there). JobFailed, JobTimeout."""
        key = query_key(text)
        now = time.monotonic()
        hit = self._inline.get(key)
        if hit is not None and hit[0] > now:
            self._inline.move_to_end(key)
            return hit[1]
        job_id = await self.run(
            self.submissions.submit, "inline", platform, user_id, "private", user_id, None,
            text=text.replace("\x00", "").strip()[:200],
        )  # fmt: skip
        result = await self.results.wait(job_id)
        self._inline[key] = (now + INLINE_TTL_SECONDS, result)
        while len(self._inline) > INLINE_CACHE_SIZE:
            self._inline.popitem(last=False)
        return result
