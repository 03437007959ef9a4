"""/playlist start | add | done: one list blended from many members' photos in a server channel.

While a playlist is open, photos posted in its channel join it (and /mri or /playlist add
there too). `done` (or its deadline, MRI_PLAYLIST_WINDOW_SECONDS after it opened, kept in the
database and checked by a `tasks.loop`) closes it and answers with one list that credits whose
photo brought each song.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord import PLATFORM
from bot.discord.client import MriBot
from bot.discord.cogs.photos import interaction_target
from bot.discord.delivery import ChannelTarget, ReplyTarget
from bot.discord.localize import loc
from bot.i18n import text
from core.errors import MriError
from core.service import NoOpenPlaylist

log = logging.getLogger(__name__)


class PlaylistCog(
    commands.GroupCog, group_name="playlist", group_description=loc("discord_cmd_playlist")
):
    def __init__(self, bot: MriBot) -> None:
        self.bot = bot
        self.service = bot.service
        super().__init__()

    async def cog_load(self) -> None:
        self.deadlines.change_interval(seconds=self.bot.settings.delivery_sweep_seconds)
        self.deadlines.start()

    async def cog_unload(self) -> None:
        self.deadlines.cancel()

    @tasks.loop(seconds=5.0)
    async def deadlines(self) -> None:
        """Close the playlists whose time is up (opened by this process or another, before a
        restart too) and answer each with its blend."""
        try:
            closed = await self.service.close_due_playlists(PLATFORM)
        except MriError as exc:
            log.warning("could not look for playlists whose time is up: %s", exc)
            return
        for playlist in closed:
            channel = self.bot.get_partial_messageable(int(playlist.chat_id))
            try:
                await channel.send(text("playlist_closed_by_time", playlist.lang))
            except discord.HTTPException as exc:
                log.warning("channel %s: time's-up note not sent: %s", playlist.chat_id, exc)
            target = ChannelTarget(channel)
            await target.say(text("listening", playlist.lang))
            self.bot.spawn(
                self.bot.delivery.follow(playlist.job_id, target, playlist.lang),
                name=f"mri-wait-{playlist.job_id}",
            )

    @app_commands.command(name="start", description=loc("discord_cmd_playlist_start"))
    async def start(self, interaction: discord.Interaction[MriBot]) -> None:
        await interaction.response.defer(thinking=True)
        lang = await self.bot.lang(interaction.user.id)
        channel_id = interaction.channel_id or 0
        if interaction.guild_id is None:
            await interaction.edit_original_response(content=text("playlist_private", lang))
            return
        session = await self.service.open_playlist(
            platform=PLATFORM, chat_id=str(channel_id), user_id=str(interaction.user.id)
        )
        minutes = max(1, round(self.bot.settings.playlist_window_seconds / 60))
        await interaction.edit_original_response(
            content=text("discord_playlist_started", lang, minutes=minutes)
        )
        log.info("playlist session %s open in channel %s", session, channel_id)

    @app_commands.command(name="add", description=loc("discord_cmd_playlist_add"))
    @app_commands.describe(photo=loc("discord_opt_photo"))
    async def add(
        self, interaction: discord.Interaction[MriBot], photo: discord.Attachment
    ) -> None:
        await interaction.response.defer(thinking=True)
        lang = await self.bot.lang(interaction.user.id)
        channel_id = interaction.channel_id or 0
        if interaction.guild_id is None:
            await interaction.edit_original_response(content=text("playlist_private", lang))
            return
        session = await self.service.open_playlist_id(platform=PLATFORM, chat_id=str(channel_id))
        if session is None:
            await interaction.edit_original_response(content=text("discord_playlist_none", lang))
            return
        await self.bot.intake.photo(
            photo,
            user_id=interaction.user.id,
            channel_id=channel_id,
            private=False,
            target=interaction_target(self.bot, interaction),
            lang=lang,
            user_name=interaction.user.display_name,
            session_id=session,
        )

    @app_commands.command(name="done", description=loc("discord_cmd_playlist_done"))
    async def done(self, interaction: discord.Interaction[MriBot]) -> None:
        await interaction.response.defer(thinking=True)
        lang = await self.bot.lang(interaction.user.id)
        if interaction.guild_id is None:
            await interaction.edit_original_response(content=text("playlist_private", lang))
            return
        target = interaction_target(self.bot, interaction)
        await self.finish(interaction.channel_id or 0, str(interaction.user.id), target, lang)

    async def finish(self, channel_id: int, user_id: str, target: ReplyTarget, lang: str) -> None:
        """Close the channel's playlist and answer with the blend of its photos (the worker
        waits, bounded, for photos still being tagged)."""
        try:
            job = await self.service.group_playlist(
                platform=PLATFORM, chat_id=str(channel_id), user_id=user_id
            )
        except NoOpenPlaylist:
            await target.say(text("discord_playlist_none", lang))
            return
        log.info("job %s: playlist of channel %s", job, channel_id)
        await target.say(text("listening", lang))
        await self.bot.delivery.follow(job, target, lang)


async def setup(bot: MriBot) -> None:
    await bot.add_cog(PlaylistCog(bot))
