"""/lang, /forget, /help, /stats: the person's settings and data, and how MRI is doing. Each
answers privately (ephemeral). Translation only: the flow words the answers."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.localize import loc
from bot.discord.target import interaction_asker
from bot.flow import Flow

LANGUAGES = [
    app_commands.Choice(name="한국어", value="ko"),
    app_commands.Choice(name="English", value="en"),
]


class AccountCog(commands.Cog):
    def __init__(self, client: discord.Client, flow: Flow) -> None:
        self.client = client
        self.flow = flow

    @app_commands.command(name="lang", description=loc("discord_cmd_lang"))
    @app_commands.describe(language=loc("discord_opt_language"))
    @app_commands.choices(language=LANGUAGES)
    async def lang(
        self, interaction: discord.Interaction, language: app_commands.Choice[str]
    ) -> None:
        asker = await interaction_asker(self.client, interaction, ephemeral=True)
        await self.flow.say(
            asker.target, await self.flow.set_language(asker.user_id, language.value)
        )

    @app_commands.command(name="forget", description=loc("discord_cmd_forget"))
    async def forget(self, interaction: discord.Interaction) -> None:
        """Asks first (Yes / No buttons that only the asker can press)."""
        await self.flow.forget(await interaction_asker(self.client, interaction, ephemeral=True))

    @app_commands.command(name="help", description=loc("discord_cmd_help"))
    async def help(self, interaction: discord.Interaction) -> None:
        asker = await interaction_asker(self.client, interaction, ephemeral=True)
        lang = await self.flow.lang(asker.user_id)
        await self.flow.say(asker.target, self.flow.text("discord_help", lang))

    @app_commands.command(name="stats", description=loc("discord_cmd_stats"))
    async def stats(self, interaction: discord.Interaction) -> None:
        asker = await interaction_asker(self.client, interaction, ephemeral=True)
        await self.flow.say(asker.target, await self.flow.stats(asker.user_id))
