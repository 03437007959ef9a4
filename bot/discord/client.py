"""The Discord client: the conversation flow (bot/flow) and every cog are built here with their
collaborators passed into their constructors; the cogs never reach back through the client.
Only the entry module (app.py) imports this one (import-linter checks both)."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import PLATFORM
from bot.discord.cogs.account import AccountCog
from bot.discord.cogs.photos import PhotoCog
from bot.discord.cogs.playlist import PlaylistCog
from bot.discord.cogs.scheduler import SchedulerCog
from bot.discord.cogs.votes import VoteCog
from bot.discord.localize import I18nTranslator
from bot.discord.render import person
from bot.discord.replies import ReplyIndex
from bot.discord.sync import sync_if_changed
from bot.discord.target import DiscordTargets
from bot.flow import Flow
from bot.formatting import error_text
from bot.i18n import text
from core.config import Settings
from core.service import RecommendService

log = logging.getLogger(__name__)

# Sentences whose Discord wording differs (slash commands are named differently).
WORDING = {
    "playlist_started": "discord_playlist_started",
    "playlist_none": "discord_playlist_none",
}


def intents() -> discord.Intents:
    """Only what MRI uses. Message Content is privileged (enable it in the developer portal):
    without it Discord hides the attachments of messages that do not mention the bot, i.e. the
    photos members post in a channel with an open /playlist, and replies that do not ping."""
    wanted = discord.Intents.none()
    wanted.guilds = True  # channels and threads, so messages and interactions resolve
    wanted.guild_messages = True  # photos posted in servers (mentions, open playlists)
    wanted.dm_messages = True  # photos sent in DMs
    wanted.guild_reactions = True  # 👍/👎 on replies in servers ...
    wanted.dm_reactions = True  # ... and in DMs
    wanted.message_content = True  # privileged, see above
    return wanted


def invite_permissions() -> discord.Permissions:
    """What the bot needs in a server (the invite URL; README, section Discord bot): read and
    answer in channels and threads, embeds, reactions for whole-list votes, and the message
    history that replies and recognising its own older replies need."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        read_message_history=True,
        add_reactions=True,
        use_application_commands=True,
    )


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id,
        permissions=invite_permissions(),
        scopes=("bot", "applications.commands"),
    )


class MriBot(commands.Bot):
    """The client, the flow it translates into, and the cogs (built in the constructor, added
    in `setup_hook`)."""

    def __init__(
        self, settings: Settings, service: RecommendService, *, sync_commands: bool = True
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: MRI has slash commands only
            help_command=None,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),  # credits never ping anyone
            max_messages=None,  # votes use raw events; no message cache needed
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
        )
        self.settings = settings
        self.sync_commands = sync_commands
        self.flow = Flow(
            settings, service, PLATFORM, DiscordTargets(self), wording=WORDING, name=person
        )
        self.features: tuple[commands.Cog, ...] = (
            PhotoCog(self, self.flow, service.mood_words),
            PlaylistCog(self, self.flow),
            AccountCog(self, self.flow),
            VoteCog(self, self.flow, ReplyIndex(self, service)),
            SchedulerCog(self.flow, every=settings.delivery_sweep_seconds),
        )
        self.tree.error(self.on_slash_error)

    async def setup_hook(self) -> None:
        for cog in self.features:
            await self.add_cog(cog)
        await self.tree.set_translator(I18nTranslator())
        if self.sync_commands:
            await sync_if_changed(self.tree, self.application_id, self.settings.data_dir)

    async def idle(self) -> None:
        """Until no reply is being followed (tests, graceful stops)."""
        await self.flow.idle()

    async def close(self) -> None:
        """Replies not finished are left to the next start's sweep (none is claimed and then
        held); the cogs' loops stop with the cogs."""
        await self.flow.close()
        await super().close()

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: messages are handled by the photos cog's listener."""

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (id %s) to %s servers",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
        )
        if self.application_id is not None:
            log.info("invite the bot to a server with %s", invite_url(self.application_id))

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("error while handling %s", event_method)

    async def on_slash_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """One place where a failing slash command is logged and answered kindly."""
        name = interaction.command.qualified_name if interaction.command else "?"
        log.error("/%s failed (user %s, channel %s)", name, interaction.user.id,
                  interaction.channel_id, exc_info=error)  # fmt: skip
        if isinstance(error, app_commands.CommandNotFound):
            message = text("unknown_command", "ko")
        else:
            cause = error.__cause__ if isinstance(error.__cause__, Exception) else error
            message = error_text(cause, await self.flow.lang(str(interaction.user.id)))
        try:
            if interaction.response.is_done():  # deferred: the "thinking…" becomes the apology
                await interaction.edit_original_response(content=message, embed=None, view=None)
            else:
                await interaction.response.send_message(message, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("could not tell the user about the error: %s", exc)
