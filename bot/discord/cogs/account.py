"""/lang, /forget, /help, /stats: the person's settings and data, and how MRI is doing."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import PLATFORM
from bot.discord.client import MriBot
from bot.discord.localize import loc
from bot.discord.views import forget_view
from bot.i18n import text

LANGUAGES = [
    app_commands.Choice(name="한국어", value="ko"),
    app_commands.Choice(name="English", value="en"),
]


class AccountCog(commands.Cog):
    def __init__(self, bot: MriBot) -> None:
        self.bot = bot
        self.service = bot.service

    @app_commands.command(name="lang", description=loc("discord_cmd_lang"))
    @app_commands.describe(language=loc("discord_opt_language"))
    @app_commands.choices(language=LANGUAGES)
    async def lang(
        self, interaction: discord.Interaction[MriBot], language: app_commands.Choice[str]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.service.set_language(
            platform=PLATFORM, user_id=str(interaction.user.id), language=language.value
        )
        await interaction.edit_original_response(content=text("lang_set", language.value))

    @app_commands.command(name="forget", description=loc("discord_cmd_forget"))
    async def forget(self, interaction: discord.Interaction[MriBot]) -> None:
        """Asks first (Yes / No buttons that only the asker can press)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        lang = await self.bot.lang(interaction.user.id)
        await interaction.edit_original_response(
            content=text("forget_confirm", lang), view=forget_view(interaction.user.id, lang)
        )

    @app_commands.command(name="help", description=loc("discord_cmd_help"))
    async def help(self, interaction: discord.Interaction[MriBot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        lang = await self.bot.lang(interaction.user.id)
        await interaction.edit_original_response(content=text("discord_help", lang))

    @app_commands.command(name="stats", description=loc("discord_cmd_stats"))
    async def stats(self, interaction: discord.Interaction[MriBot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        lang = await self.bot.lang(interaction.user.id)
        status = await self.service.stats()
        numbers = status.stats
        queued = status.queue_pending if status.queue_pending is not None else numbers.queued
        message = text(
            "stats", lang,
            requests=numbers.requests_total, up=numbers.votes_up, down=numbers.votes_down,
            done=numbers.done_last_hour, failed=numbers.failed_last_hour, queued=queued,
        )  # fmt: skip
        await interaction.edit_original_response(content=message)


async def setup(bot: MriBot) -> None:
    await bot.add_cog(AccountCog(bot))
