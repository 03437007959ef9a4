"""Acknowledgements of photos joining a group playlist: one line each ("🎵 민지님의 사진을 …"),
and those ready within ACK_FOLD_SECONDS of each other in one group sent as one message
(Telegram allows 20 messages a minute in a group). Delivered in two phases like any reply."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.flow.port import Outgoing, ReplyTarget, SendFailed
from bot.formatting import failure_text, hashtags
from bot.i18n import text
from core.domain import JobResult
from core.errors import MriError
from core.service import RecommendService

ACK_FOLD_SECONDS = 1.0  # acknowledgements ready within this fold into one message


@dataclass
class _Batch:
    """Acknowledgements collected to be sent as one."""

    target: ReplyTarget
    lang: str
    jobs: list[tuple[str, str | None]] = field(default_factory=list)  # (job, member's name)


class Acknowledgements:
    def __init__(
        self, service: RecommendService, *, name: Callable[[str], str], max_mb: int
    ) -> None:
        self.service = service
        self.name = name  # a member's name as the platform writes it in a sentence
        self.max_mb = max_mb
        self._batches: dict[str, _Batch] = {}  # chat -> acknowledgements being folded

    def line(self, result: JobResult, lang: str, who: str | None) -> str:
        """The photo joined (with its tags), or why it could not."""
        name = self.name(who or result.user_name or result.user_id)
        if result.status != "done":
            reason = failure_text(result.error or result.status, lang, max_mb=self.max_mb)
            return text("playlist_photo_failed", lang, user=name, reason=reason)
        return text("playlist_joined", lang, user=name, tags=hashtags(result.tags, limit=3))

    async def fold(self, job_id: str, target: ReplyTarget, lang: str, who: str) -> None:
        """The first acknowledgement of a group waits ACK_FOLD_SECONDS for others, then claims
        all, sends one message, and confirms them (or releases them for the sweep)."""
        batch = self._batches.get(target.chat_id)
        if batch is not None:
            batch.jobs.append((job_id, who))
            return
        batch = self._batches[target.chat_id] = _Batch(target, lang, [(job_id, who)])
        try:
            await asyncio.sleep(ACK_FOLD_SECONDS)
        finally:
            del self._batches[target.chat_id]
        claimed = [(j, w) for j, w in batch.jobs if await self.service.claim_delivery(j)]
        if not claimed:
            return
        try:
            lines = [self.line(await self.service.result(j), lang, w) for j, w in claimed]
            ref = await target.send(Outgoing(text="\n".join(lines)), key=f"k:{claimed[0][0]}")
        except (SendFailed, MriError) as exc:
            permanent = isinstance(exc, SendFailed) and exc.permanent
            for j, _ in claimed:
                await self.service.release_delivery(j, str(exc), permanent=permanent)
            return
        for j, _ in claimed:
            await self.service.confirm_delivery(j, ref)
