"""The Discord client: built from Settings with its dependencies passed in; features live in
cogs (bot/discord/cogs), loaded as extensions in `setup_hook`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import PLATFORM
from bot.discord.delivery import Delivery
from bot.discord.intake import Intake
from bot.discord.localize import I18nTranslator
from bot.discord.sync import sync_if_changed
from bot.discord.views import ForgetButton, VoteButton
from bot.discord.votes import Votes
from bot.formatting import error_text
from bot.i18n import text
from bot.ratelimit import RateLimiter
from core.config import Settings
from core.errors import MriError
from core.service import RecommendService

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.discord.cogs.photos",
    "bot.discord.cogs.playlist",
    "bot.discord.cogs.account",
    "bot.discord.cogs.reactions",
)


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


class MriTree(app_commands.CommandTree["MriBot"]):
    """One place where a failing slash command is logged and answered kindly."""

    async def on_error(
        self, interaction: discord.Interaction[MriBot], error: app_commands.AppCommandError
    ) -> None:
        name = interaction.command.qualified_name if interaction.command else "?"
        log.error(
            "/%s failed (user %s, channel %s)",
            name,
            interaction.user.id,
            interaction.channel_id,
            exc_info=error,
        )
        if isinstance(error, app_commands.CommandNotFound):
            message = text("unknown_command", "ko")
        else:
            cause = error.__cause__ if isinstance(error.__cause__, Exception) else error
            try:
                lang = await interaction.client.lang(interaction.user.id)
            except MriError:
                lang = "ko"
            message = error_text(cause, lang)
        try:
            if interaction.response.is_done():  # deferred: the "thinking…" becomes the apology
                await interaction.edit_original_response(content=message, embed=None, view=None)
            else:
                await interaction.response.send_message(message, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("could not tell the user about the error: %s", exc)


class MriBot(commands.Bot):
    """Holds the service and the per-process state (rate limits, reply index, waiting tasks)."""

    def __init__(
        self,
        settings: Settings,
        service: RecommendService,
        *,
        limiter: RateLimiter | None = None,
        sync_commands: bool = True,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: MRI has slash commands only
            help_command=None,
            intents=intents(),
            tree_cls=MriTree,
            allowed_mentions=discord.AllowedMentions.none(),  # credits never ping anyone
            max_messages=None,  # votes use raw events; no message cache needed
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
        )
        self.settings = settings
        self.service = service
        self.sync_commands = sync_commands
        self.limiter = limiter or RateLimiter(settings.user_requests_per_minute, 60.0)
        self.delivery = Delivery(self)
        self.intake = Intake(self)
        self.votes = Votes(self)
        self._tasks: set[asyncio.Task[None]] = set()  # replies being waited for
        self._timers: set[asyncio.Task[None]] = set()  # long-lived: sweeps, playlist windows
        self._stopping = False

    async def setup_hook(self) -> None:
        self.add_dynamic_items(VoteButton, ForgetButton)  # old messages' buttons keep working
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.tree.set_translator(I18nTranslator())
        if self.sync_commands:
            await sync_if_changed(self.tree, self.application_id, self.settings.data_dir)
        self.spawn(self.delivery.sweep_forever(), name="mri-late-deliveries", long_lived=True)

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, name: str, long_lived: bool = False
    ) -> asyncio.Task[None] | None:
        """Run in the background; cancelled on close, failures logged. `idle` waits for the
        short-lived ones (replies) only. Nothing starts once the bot is closing: a reply
        claimed by a process that can no longer send it would be lost, while one left alone
        is sent by the next start's sweep."""
        if self._stopping:
            coro.close()
            return None
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        tasks = self._timers if long_lived else self._tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until no reply is being waited for (tests, graceful stops)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        self._stopping = True
        tasks = [*self._tasks, *self._timers]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await super().close()

    async def lang(self, user_id: int | str) -> str:
        return await self.service.language(platform=PLATFORM, user_id=str(user_id))

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
