"""Votes: 👍/👎 buttons rate one song, 👍/👎 reactions on a reply rate the whole list.

Button presses arrive as component interactions (read here, so buttons on messages sent before
a restart work); the flow toggles the vote in one call and redraws the counts. Reactions follow
what Discord shows. Translation only: bot/flow decides."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands

from bot.discord.render import STEER_MENU
from bot.discord.replies import ReplyIndex
from bot.discord.target import DiscordTap
from bot.flow import Flow

log = logging.getLogger(__name__)

REACTION_VALUES = {"👍": 1, "👎": -1}
SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400)) + "\ufe0f"


def reaction_value(emoji: discord.PartialEmoji) -> int | None:
    """+1 for 👍, -1 for 👎 (any skin tone); None for every other emoji."""
    if emoji.id is not None or not emoji.name:
        return None
    return REACTION_VALUES.get(emoji.name.rstrip(SKIN_TONES))


class VoteCog(commands.Cog):
    def __init__(self, client: discord.Client, flow: Flow, replies: ReplyIndex) -> None:
        self.client = client
        self.flow = flow
        self.replies = replies

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A button under one of the bot's messages (a vote, the /forget answer), or an option
        of its steering menu (drop a tag, nudge the mood, more like a song)."""
        if interaction.type is not discord.InteractionType.component:
            return
        raw: dict[str, Any] = dict(interaction.data or {})
        data = str(raw.get("custom_id", ""))
        if data == STEER_MENU:
            data = str((raw.get("values") or [""])[0])
        await interaction.response.defer()  # within Discord's 3 s; the message is edited later
        await self.flow.tap(DiscordTap(interaction), data)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        await self._reaction(event, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, event: discord.RawReactionActionEvent) -> None:
        await self._reaction(event, added=False)

    async def _reaction(self, event: discord.RawReactionActionEvent, *, added: bool) -> None:
        me = self.client.user
        value = reaction_value(event.emoji)
        if me is None or value is None or event.user_id == me.id:
            return
        if event.message_author_id is not None and event.message_author_id != me.id:
            return
        reply = await self.replies.lookup(event.channel_id, event.message_id)
        if reply is None or reply.list_item_id is None:
            return
        await self.flow.reaction(
            str(event.user_id), str(event.channel_id), reply.list_item_id, value, added=added
        )
