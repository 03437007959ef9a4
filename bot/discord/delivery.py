"""Where a reply goes, and getting it there exactly once.

A request shows a placeholder ("🎧 듣는 중…") that is edited as the job moves on: "still working"
when the worker is slow, then the embed with vote buttons (or a polite error). `claim_delivery`
makes sure only one reply is sent per job, also across restarts (`catch_up`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, Protocol

import discord

from bot.discord import PLATFORM
from bot.discord.render import joined_text, result_embed
from bot.discord.views import vote_view
from bot.formatting import error_text, failure_text
from bot.i18n import text
from core.domain import JobResult
from core.errors import JobFailed, JobTimeout, MriError, UnknownJob

if TYPE_CHECKING:
    from bot.discord.client import MriBot

log = logging.getLogger(__name__)

VOTE_REACTIONS = ("👍", "👎")


class ReplyTarget(Protocol):
    """Somewhere to answer: the reply to a message, a slash command's response, a channel."""

    async def say(self, content: str) -> None:
        """Show a short text (placeholder, status or error), replacing the previous one."""

    async def show(self, embed: discord.Embed, view: discord.ui.View) -> discord.Message:
        """Show the final reply in place of the placeholder; returns the message that holds it."""


class ChannelTarget:
    """Messages in a channel (a reply to `reference` when given): one message, edited."""

    def __init__(
        self, channel: discord.abc.Messageable, reference: discord.MessageReference | None = None
    ) -> None:
        self.channel = channel
        self.reference = reference
        self.message: discord.Message | None = None

    async def say(self, content: str) -> None:
        if self.message is not None:
            with contextlib.suppress(discord.NotFound):  # the placeholder was deleted
                self.message = await self.message.edit(content=content, embed=None, view=None)
                return
        self.message = await self._send(content=content)

    async def show(self, embed: discord.Embed, view: discord.ui.View) -> discord.Message:
        if self.message is not None:
            with contextlib.suppress(discord.NotFound):
                self.message = await self.message.edit(content=None, embed=embed, view=view)
                return self.message
        self.message = await self._send(embed=embed, view=view)
        return self.message

    async def _send(self, **fields: Any) -> discord.Message:
        if self.reference is None:
            return await self.channel.send(**fields)
        return await self.channel.send(reference=self.reference, mention_author=False, **fields)


class InteractionTarget:
    """A slash command's (already deferred) response; the channel once its token has expired."""

    def __init__(self, interaction: discord.Interaction[Any], fallback: ChannelTarget) -> None:
        self.interaction = interaction
        self.fallback = fallback
        self.expired = False

    async def say(self, content: str) -> None:
        if not self.expired:
            try:
                await self.interaction.edit_original_response(
                    content=content, embed=None, view=None
                )
                return
            except discord.HTTPException as exc:  # tokens live 15 minutes
                log.info("interaction %s: answering in the channel (%s)", self.interaction.id, exc)
                self.expired = True
        await self.fallback.say(content)

    async def show(self, embed: discord.Embed, view: discord.ui.View) -> discord.Message:
        if not self.expired:
            try:
                return await self.interaction.edit_original_response(
                    content=None, embed=embed, view=view
                )
            except discord.HTTPException as exc:
                log.info("interaction %s: answering in the channel (%s)", self.interaction.id, exc)
                self.expired = True
        return await self.fallback.show(embed, view)


class Delivery:
    """Waits for jobs and sends each answer once (embed, joined-playlist note or apology)."""

    def __init__(self, bot: MriBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.settings = bot.settings
        self.waiting: set[str] = set()  # jobs this process is waiting for (the sweep skips them)

    @property
    def max_mb(self) -> int:
        return self.settings.max_image_bytes // (1024 * 1024)

    async def follow(
        self, job_id: str, target: ReplyTarget, lang: str, *, who: str | None = None
    ) -> None:
        """Wait up to job_wait_seconds; if the worker is slow say so and wait on in the back.
        `who` (the sender's display name) is credited when the photo joins a playlist."""
        self.waiting.add(job_id)
        handed_over = False
        try:
            try:
                result = await self.service.wait(job_id, timeout=self.settings.job_wait_seconds)
            except JobTimeout:
                await target.say(text("still_working", lang))
                waiting_on = self._wait_on(job_id, target, lang, who)
                handed_over = self.bot.spawn(waiting_on, name=f"mri-wait-{job_id}") is not None
                return
            except MriError as exc:
                await self._failed(job_id, exc, target, lang)
                return
            await self.deliver(result, target, lang, who=who)
        finally:
            if not handed_over:
                self.waiting.discard(job_id)

    async def _wait_on(self, job_id: str, target: ReplyTarget, lang: str, who: str | None) -> None:
        """Keep waiting (in the background) until the job ends or MRI_JOB_EXPIRE_SECONDS."""
        deadline = time.monotonic() + self.settings.job_expire_seconds
        try:
            while True:
                try:
                    result = await self.service.wait(job_id, timeout=self.settings.job_wait_seconds)
                    break
                except JobTimeout:
                    if time.monotonic() > deadline:
                        await self._failed(job_id, JobFailed("expired", "gave up"), target, lang)
                        return
                except MriError as exc:
                    await self._failed(job_id, exc, target, lang)
                    return
            await self.deliver(result, target, lang, who=who)
        finally:
            self.waiting.discard(job_id)

    async def _failed(self, job_id: str, exc: MriError, target: ReplyTarget, lang: str) -> None:
        if isinstance(exc, UnknownJob):  # the person used /forget meanwhile
            log.info("job %s is gone; nothing to deliver", job_id)
            return
        if not isinstance(exc, JobFailed):  # the queue or database is in trouble
            log.warning("job %s: cannot wait for it: %s", job_id, exc)
            await target.say(error_text(exc, lang, max_mb=self.max_mb))
            return
        if await self.service.claim_delivery(job_id) is not None:
            log.info("job %s failed (%s)", job_id, exc.code)
            try:
                await target.say(error_text(exc, lang, max_mb=self.max_mb))
            except discord.HTTPException as failed:
                await self.service.release_delivery(job_id, str(failed))
                return
            await self.service.confirm_delivery(job_id, None)

    async def deliver(
        self, result: JobResult, target: ReplyTarget, lang: str, *, who: str | None = None
    ) -> None:
        """Send the answer unless some other waiter (or process) already did."""
        if await self.service.claim_delivery(result.job_id) is None:
            return
        try:
            if result.kind == "photo" and result.session_id is not None:
                await target.say(joined_text(result, lang, who))
                await self.service.confirm_delivery(result.job_id, None)
                return
            message = await target.show(result_embed(result, lang), vote_view(result, {}, lang))
        except discord.HTTPException as exc:
            await self.service.release_delivery(result.job_id, str(exc))
            return
        await self.service.confirm_delivery(result.job_id, str(message.id))
        self.bot.votes.index.remember(message.id, result)
        log.info("job %s delivered as message %s", result.job_id, message.id)
        if result.list_item_id is not None:
            await self._add_reactions(message)

    async def _add_reactions(self, message: discord.Message) -> None:
        for emoji in VOTE_REACTIONS:
            try:
                await message.add_reaction(emoji)
            except discord.HTTPException as exc:  # no Add Reactions permission here
                log.warning("cannot add %s to message %s: %s", emoji, message.id, exc)
                return

    async def catch_up(self) -> int:
        """Deliver answers nobody in this process waits for: those an earlier run still owed
        (they came after it stopped) and those whose waiter gave up."""
        sent = 0
        for job_id in await self.service.undelivered(PLATFORM):
            if job_id in self.waiting:
                continue
            try:
                result = await self.service.result(job_id)
                lang = await self.bot.lang(result.user_id)
                target = ChannelTarget(
                    self.bot.get_partial_messageable(int(result.chat_id)), _reference(result)
                )
                if result.status == "done":
                    await self.deliver(result, target, lang)
                elif await self.service.claim_delivery(job_id) is not None:
                    code = result.error or result.status
                    await target.say(failure_text(code, lang, max_mb=self.max_mb))
                    await self.service.confirm_delivery(job_id, None)
                sent += 1
            except (MriError, discord.HTTPException) as exc:
                log.warning("job %s: late delivery failed: %s", job_id, exc)
        if sent:
            log.info("delivered %s late answers", sent)
        return sent

    async def sweep_forever(self, interval: float = 10.0) -> None:
        """Runs for the life of the bot: late answers arrive within `interval` seconds."""
        while True:
            try:
                await self.catch_up()
            except (MriError, discord.HTTPException, OSError) as exc:
                log.warning("late-delivery sweep failed: %s", exc)
            await asyncio.sleep(interval)


def _reference(result: JobResult) -> discord.MessageReference | None:
    """Reply to the member's original message when we know it (slash commands have none)."""
    ref = result.message_ref
    if ref is None or not ref.isdigit():
        return None
    return discord.MessageReference(
        message_id=int(ref), channel_id=int(result.chat_id), fail_if_not_exists=False
    )
