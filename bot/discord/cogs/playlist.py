"""/playlist start | add | done: one list blended from many members' photos in a server channel.

While a playlist is open, photos posted in its channel join it (and /mri or /playlist add
there too). `done`, or its deadline (kept in the database; the scheduler cog looks for due
ones), closes it and answers with one list that credits whose photo brought each song.
Translation only: the flow (bot/flow/playlists.py) decides what happens."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.cogs.photos import photo_in
from bot.discord.localize import loc
from bot.discord.target import interaction_asker
from bot.flow import Flow


class PlaylistCog(
    commands.GroupCog, group_name="playlist", group_description=loc("discord_cmd_playlist")
):
    def __init__(self, client: discord.Client, flow: Flow) -> None:
        self.client = client
        self.flow = flow
        super().__init__()

    @app_commands.command(name="start", description=loc("discord_cmd_playlist_start"))
    async def start(self, interaction: discord.Interaction) -> None:
        await self.flow.playlist_start(await interaction_asker(self.client, interaction))

    @app_commands.command(name="add", description=loc("discord_cmd_playlist_add"))
    @app_commands.describe(photo=loc("discord_opt_photo"))
    async def add(self, interaction: discord.Interaction, photo: discord.Attachment) -> None:
        asker = await interaction_asker(self.client, interaction)
        await self.flow.photo(asker, photo_in(photo), playlist_only=True)

    @app_commands.command(name="done", description=loc("discord_cmd_playlist_done"))
    async def done(self, interaction: discord.Interaction) -> None:
        await self.flow.playlist_done(await interaction_asker(self.client, interaction))
