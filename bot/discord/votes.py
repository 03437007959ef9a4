"""Votes: 👍/👎 buttons rate one song, 👍/👎 reactions on a reply rate the whole list.

A button press toggles (the same button again removes the vote) and reactions follow what
Discord shows (adding one stores it, removing the one that is the current vote removes it; an
older, replaced reaction changes nothing): both decided in one transaction by the service.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.discord import PLATFORM
from bot.discord.views import vote_view
from bot.formatting import error_text, parse_vote
from bot.i18n import text
from core.domain import JobResult
from core.errors import MriError

if TYPE_CHECKING:
    from bot.discord.client import MriBot

log = logging.getLogger(__name__)

REACTION_VALUES = {"👍": 1, "👎": -1}
SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400)) + "\ufe0f"
VOTE_TEXTS = {1: "vote_up", -1: "vote_down", 0: "vote_removed"}


def reaction_value(emoji: discord.PartialEmoji) -> int | None:
    """+1 for 👍, -1 for 👎 (any skin tone); None for every other emoji."""
    if emoji.id is not None or not emoji.name:
        return None
    return REACTION_VALUES.get(emoji.name.rstrip(SKIN_TONES))


@dataclass(frozen=True)
class Reply:
    job_id: str
    list_item_id: int | None


class ReplyIndex:
    """Message id of each reply -> its job. In memory (bounded); after a restart a reply is
    recognised by its own vote buttons: their item id leads to the job (`job_of_item`)."""

    def __init__(self, bot: MriBot, size: int = 20_000) -> None:
        self.bot = bot
        self.size = size
        self._replies: OrderedDict[int, Reply] = OrderedDict()
        self._others: OrderedDict[int, None] = OrderedDict()  # messages that are not replies

    def remember(self, message_id: int, result: JobResult) -> None:
        self._put(self._replies, message_id, Reply(result.job_id, result.list_item_id))

    def forget_all(self) -> None:
        self._replies.clear()
        self._others.clear()

    def _put(self, table: OrderedDict[int, Any], key: int, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.size:
            table.popitem(last=False)

    async def lookup(self, channel_id: int, message_id: int) -> Reply | None:
        if message_id in self._replies:
            return self._replies[message_id]
        if message_id in self._others:
            return None
        reply = await self._recover(channel_id, message_id)
        if reply is None:
            self._put(self._others, message_id, None)
        else:
            self._put(self._replies, message_id, reply)
        return reply

    async def _recover(self, channel_id: int, message_id: int) -> Reply | None:
        me = self.bot.user
        channel = self.bot.get_partial_messageable(channel_id)
        try:
            message = await channel.fetch_message(message_id)
        except discord.HTTPException as exc:
            log.debug("message %s not readable: %s", message_id, exc)
            return None
        if me is None or message.author.id != me.id:
            return None
        item_id = next(iter(vote_items(message)), None)
        if item_id is None:
            return None
        try:
            job = await self.bot.service.job_of_item(item_id)
            result = await self.bot.service.result(job)
        except MriError as exc:
            log.info("reply %s has no job any more: %s", message_id, exc)
            return None
        return Reply(job, result.list_item_id)


def vote_items(message: discord.Message) -> list[int]:
    """Item ids behind the vote buttons of a message, in order."""
    items: list[int] = []
    for row in message.components:
        for child in getattr(row, "children", ()):
            vote = parse_vote(getattr(child, "custom_id", None) or "")
            if vote is not None and vote[0] not in items:
                items.append(vote[0])
    return items


class Votes:
    """Turns button presses and reactions into `record_vote` calls."""

    def __init__(self, bot: MriBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.index = ReplyIndex(bot)

    async def on_button(
        self, interaction: discord.Interaction[Any], item_id: int, value: int
    ) -> None:
        await interaction.response.defer()  # within Discord's 3 s; the message is edited below
        user_id = str(interaction.user.id)
        lang = await self.bot.lang(user_id)
        try:
            outcome = await self.service.toggle_vote(
                platform=PLATFORM, user_id=user_id, item_id=item_id, value=value,
                chat_id=str(interaction.channel_id),
            )  # fmt: skip
        except MriError as exc:
            log.info("vote by %s on item %s refused: %s", user_id, item_id, exc)
            await interaction.followup.send(error_text(exc, lang), ephemeral=True)
            return
        if interaction.message is not None:
            self.index.remember(interaction.message.id, outcome.result)
        try:  # the new counts on the buttons
            view = vote_view(outcome.result, dict(outcome.totals), lang)
            await interaction.edit_original_response(view=view)
        except discord.HTTPException as exc:
            log.info("buttons of item %s not redrawn: %s", item_id, exc)
        await interaction.followup.send(text(VOTE_TEXTS[outcome.value], lang), ephemeral=True)

    async def on_reaction(self, event: discord.RawReactionActionEvent, added: bool) -> None:
        me = self.bot.user
        value = reaction_value(event.emoji)
        if me is None or value is None or event.user_id == me.id:
            return
        if event.message_author_id is not None and event.message_author_id != me.id:
            return
        reply = await self.index.lookup(event.channel_id, event.message_id)
        if reply is None or reply.list_item_id is None:
            return
        user_id, item_id = str(event.user_id), reply.list_item_id
        try:
            outcome = await self.service.react_vote(
                platform=PLATFORM, user_id=user_id, item_id=item_id, value=value, added=added,
                chat_id=str(event.channel_id),
            )  # fmt: skip
        except MriError as exc:
            log.info("reaction vote by %s on item %s ignored: %s", user_id, item_id, exc)
            return
        if outcome.changed:
            log.info("user %s: whole-list vote %+d on job %s", user_id, outcome.value, reply.job_id)
