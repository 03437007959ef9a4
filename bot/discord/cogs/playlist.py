"""/playlist start | add | done: one list blended from many members' photos in a server channel.

While a playlist is open, photos posted in its channel join it (and /mri or /playlist add
there too). `done` (or the time window, MRI_PLAYLIST_WINDOW_SECONDS) closes it and answers
with one list that credits whose photo brought each song.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord import app_commands
from discord.ext import commands

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
        self.timers: dict[int, asyncio.Task[None]] = {}
        super().__init__()

    async def cog_unload(self) -> None:
        for timer in self.timers.values():
            timer.cancel()

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
        timer = self.timers.get(channel_id)
        if timer is None or timer.done():
            timer = self.bot.spawn(
                self._close_later(channel_id, session, str(interaction.user.id), lang),
                name=f"mri-playlist-{channel_id}",
                long_lived=True,
            )
            if timer is not None:
                self.timers[channel_id] = timer

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
        """Close the channel's playlist and answer with the blend of its photos."""
        await self._settle(channel_id)
        try:
            job = await self.service.group_playlist(
                platform=PLATFORM, chat_id=str(channel_id), user_id=user_id
            )
        except NoOpenPlaylist:
            await target.say(text("discord_playlist_none", lang))
            return
        timer = self.timers.pop(channel_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        log.info("job %s: playlist of channel %s", job, channel_id)
        await target.say(text("listening", lang))
        await self.bot.delivery.follow(job, target, lang)

    async def _settle(self, channel_id: int) -> None:
        """Let photos still being tagged make it into the blend (bounded by job_wait_seconds)."""
        jobs = self.bot.intake.session_jobs.pop(channel_id, set())

        async def ended(job: str) -> None:
            with contextlib.suppress(MriError):
                await self.service.wait(job)

        if jobs:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(ended(j) for j in jobs)), self.bot.settings.job_wait_seconds
                )

    async def window_elapsed(self) -> None:
        """The time a playlist stays open (a seam for tests: they end the window on cue)."""
        await asyncio.sleep(self.bot.settings.playlist_window_seconds)

    async def _close_later(self, channel_id: int, session: int, user_id: str, lang: str) -> None:
        await self.window_elapsed()
        if (
            await self.service.open_playlist_id(platform=PLATFORM, chat_id=str(channel_id))
            != session
        ):
            return
        channel = self.bot.get_partial_messageable(channel_id)
        await channel.send(text("playlist_closed_by_time", lang))
        await self.finish(channel_id, user_id, ChannelTarget(channel), lang)


async def setup(bot: MriBot) -> None:
    await bot.add_cog(PlaylistCog(bot))
