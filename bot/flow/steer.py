"""Steering a reply, once for every platform: tap a tag chip to drop it, nudge the mood, ask for
songs like one song, reply to the bot's message with "+바다 -노을" or "더 신나게", or type a mood
after the bot's name in any chat (inline). A revision is drawn in the reply's own message; songs
like a song come as a new message."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.flow.base import FlowBase
from bot.flow.port import Asker, Tap
from bot.formatting import error_text, parse_steer_button
from bot.i18n import text
from core.domain import JobResult
from core.errors import JobFailed, JobTimeout, MriError, NotAllowed

log = logging.getLogger(__name__)


class InlineReply(Protocol):
    """Where an inline query is answered (Telegram's answerInlineQuery)."""

    async def songs(self, result: JobResult, lang: str) -> None:
        """The songs as inline results, each with its Melon link."""

    async def nothing(self, hint: str) -> None:
        """No results, with a one-line hint in their place."""


class Steering(FlowBase):
    def _limited(self, user_id: str) -> int:
        """0 when the person may ask now, else seconds to wait (edits share the request limit:
        every steer is a job)."""
        key = f"{self.platform}:{user_id}"
        return 0 if self.limiter.hit(key) else max(1, self.limiter.retry_after(key))

    async def steer_tap(self, tap: Tap, data: str) -> None:
        """A chip (drop that tag), a nudge, or "more like this" under a reply."""
        lang = await self.lang(tap.user_id)
        parsed = parse_steer_button(data)
        if parsed is None or (tap.offered is not None and data not in tap.offered):
            await tap.answer(text("vote_unknown", lang))
            return
        if wait := self._limited(tap.user_id):
            await tap.answer(text("rate_limited", lang, seconds=wait), alert=True)
            return
        action, ref, arg = parsed
        try:
            if action == "similar":
                job = await self.service.similar(
                    platform=self.platform, chat_id=tap.chat_id, user_id=tap.user_id, item_id=ref
                )
                await tap.answer(text("similar_working", lang))
                self.deliveries.follow(job, self.targets.for_chat(tap.chat_id), lang)
                return
            if action == "drop":
                result = await self.service.result(await self.service.job_of_item(ref))
                if arg >= len(result.tags):
                    await tap.answer(text("vote_unknown", lang))
                    return
                steer: dict[str, object] = {"drop": [result.tags[arg].tag]}
            else:
                steer = {"energy": arg}
            queued = await self.service.revise(
                platform=self.platform, chat_id=tap.chat_id, user_id=tap.user_id, steer=steer,
                item_id=ref, reply_ref=tap.message_ref,
            )  # fmt: skip
        except NotAllowed:
            await tap.answer(text("steer_not_yours", lang), alert=True)
            return
        except MriError as exc:
            log.info("steer by %s (%s) refused: %s", tap.user_id, data, exc)
            await tap.answer(error_text(exc, lang))
            return
        await tap.answer(text("steer_working", lang))
        target = self.targets.for_chat(tap.chat_id, placeholder=queued.reply_ref)
        self.deliveries.follow(queued.job_id, target, lang)

    async def steer_reply(self, asker: Asker, words: str, reply_ref: str) -> None:
        """Words sent as a reply to one of the bot's replies: add or drop tags, nudge."""
        lang = await self.lang(asker.user_id)
        asked = self.service.steer_of(words)
        if asked is None:
            await self.say(asker.target, text("steer_usage", lang))
            return
        if wait := self._limited(asker.user_id):
            await self.say(asker.target, text("rate_limited", lang, seconds=wait))
            return
        try:
            queued = await self.service.revise(
                platform=self.platform, chat_id=asker.chat_id, user_id=asker.user_id,
                steer=asked, reply_ref=reply_ref,
            )  # fmt: skip
        except NotAllowed:
            await self.say(asker.target, text("steer_not_yours", lang))
            return
        except MriError as exc:
            await self.say(asker.target, error_text(exc, lang))
            return
        target = self.targets.for_chat(asker.chat_id, placeholder=queued.reply_ref)
        await self.deliveries.typing(asker.target)
        self.deliveries.follow(queued.job_id, target, lang)

    async def inline(self, user_id: str, query: str, reply: InlineReply) -> None:
        """Songs for a mood typed after the bot's name in any chat."""
        lang = await self.lang(user_id)
        if not query.strip():
            await reply.nothing(text("inline_empty", lang))
            return
        if wait := self._limited(user_id):
            await reply.nothing(text("rate_limited", lang, seconds=wait))
            return
        try:
            result = await self.service.inline(platform=self.platform, user_id=user_id, text=query)
        except (JobFailed, JobTimeout) as exc:
            await reply.nothing(error_text(exc, lang) if isinstance(exc, JobFailed) else
                                text("still_working", lang))  # fmt: skip
            return
        except MriError as exc:
            await reply.nothing(error_text(exc, lang))
            return
        await reply.songs(result, lang)
