"""`mri bot discord`: owns the resources (service, client) and turns start-up problems into one
clear sentence. The token is read from Settings (MRI_DISCORD_TOKEN) and never logged."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.discord.client import MriBot
from core.config import Settings
from core.errors import ConfigError, ServiceUnreachable
from core.service import RecommendService, describe_url, reason, redact_secrets, retry_async

log = logging.getLogger(__name__)

PORTAL = "https://discord.com/developers/applications"


class StartError(ConfigError):
    """The bot cannot start; the message says what to do (shown to the operator)."""


class MissingToken(StartError):  # noqa: N818 - named like its Telegram twin
    """No Discord token configured."""


def require_token(settings: Settings) -> str:
    if settings.discord_token is None:
        raise MissingToken(
            "MRI_DISCORD_TOKEN is not set: create an application and its bot in the Discord "
            f"developer portal ({PORTAL}), copy the bot token and put it in .env "
            "(MRI_DISCORD_TOKEN=...) or the environment (README, section Discord bot)"
        )
    return settings.discord_token.get_secret_value()


def use_servers(settings: Settings) -> None:
    """Point discord.py at MRI_DISCORD_API_URL and MRI_DISCORD_GATEWAY_URL. discord.py keeps both
    in class attributes (one bot per process), and connects a single shard to its default
    gateway rather than to the address /gateway/bot names, so the gateway is set here too."""
    discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def build_client(settings: Settings, service: RecommendService) -> MriBot:
    """The client with every cog wired to `service`; not logged in."""
    require_token(settings)
    redact_secrets(settings.discord_token)
    logging.getLogger("discord.http").setLevel(logging.WARNING)  # one line per request otherwise
    return MriBot(settings, service)


async def check_discord() -> None:
    """Discord's API answers (GET /gateway needs no token); ServiceUnreachable otherwise. The
    token is checked by the login that follows (LoginFailure -> StartError)."""
    url = f"{discord.http.Route.BASE}/gateway"
    where = describe_url("the Discord API", url)
    try:
        timeout = aiohttp.ClientTimeout(total=15)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as answer:
            if answer.status >= 500:
                raise ServiceUnreachable(f"{where} answers {answer.status} {answer.reason}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ServiceUnreachable(f"{where} is unreachable: {reason(exc)}") from None


async def serve(settings: Settings, token: str) -> None:
    """Run until the gateway connection ends or SIGTERM/SIGINT asks for a graceful stop."""
    await retry_async(check_discord, settings.startup_timeout_seconds)
    service = await asyncio.to_thread(RecommendService.from_settings, settings)
    try:
        async with build_client(settings, service) as bot:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
            running = asyncio.create_task(bot.start(token), name="discord-client")
            stopping = asyncio.create_task(stop.wait(), name="discord-stop")
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not running.done():
                log.info("stopping: closing the gateway connection")
                await bot.close()
            stopping.cancel()
            await running  # re-raises LoginFailure, PrivilegedIntentsRequired, ...
    finally:
        await service.aclose()


def run(settings: Settings) -> None:
    """Start the bot; MissingToken / StartError with a clear message when it cannot."""
    token = require_token(settings)  # before touching the database: fail fast
    use_servers(settings)
    try:
        asyncio.run(serve(settings, token))
    except discord.LoginFailure:
        raise StartError(
            "Discord rejected MRI_DISCORD_TOKEN. Reset the token on the Bot page of your "
            f"application in the developer portal ({PORTAL}) and update .env."
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise StartError(
            "Discord refused the Message Content intent. Turn on 'Message Content Intent' "
            f"on the Bot page of your application in the developer portal ({PORTAL})."
        ) from None
