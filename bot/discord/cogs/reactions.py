"""👍/👎 reactions on a reply rate the whole list (raw events: the message need not be cached)."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.discord.client import MriBot


class ReactionCog(commands.Cog):
    def __init__(self, bot: MriBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        await self.bot.votes.on_reaction(event, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, event: discord.RawReactionActionEvent) -> None:
        await self.bot.votes.on_reaction(event, added=False)


async def setup(bot: MriBot) -> None:
    await bot.add_cog(ReactionCog(bot))
