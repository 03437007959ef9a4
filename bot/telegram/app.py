"""Builds the python-telegram-bot Application from Settings and runs it (polling or webhook)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot, BotCommand, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.flow import Flow
from bot.telegram import PLATFORM
from bot.telegram.handlers import TelegramHandlers
from bot.telegram.target import TelegramTargets
from core.config import Settings
from core.errors import ConfigError, ServiceUnreachable
from core.service import RecommendService, describe_url, redact_secrets, retry_async

log = logging.getLogger(__name__)

COMMANDS = ("start", "help", "lang", "mood", "playlist", "forget", "stats", "mri")


class MissingToken(ConfigError):  # noqa: N818
    """No Telegram token configured."""


def api_urls(root: str) -> tuple[str, str]:
    """(base_url, base_file_url) for a Bot API server root: {root}/bot{token}/{method} and
    {root}/file/bot{token}/{file_path}."""
    root = root.rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


def require_token(settings: Settings) -> str:
    if settings.telegram_token is None:
        raise MissingToken(
            "MRI_TELEGRAM_TOKEN is not set: create a bot with @BotFather and put its token "
            "in .env (MRI_TELEGRAM_TOKEN=...) or the environment"
        )
    return settings.telegram_token.get_secret_value()


def build_application(settings: Settings, service: RecommendService) -> Application:  # type: ignore[type-arg]
    """The Application with every handler wired to `service`; not started."""
    token = require_token(settings)
    redact_secrets(settings.telegram_token)
    base_url, base_file_url = api_urls(settings.telegram_api_url)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .rate_limiter(
            # Leaky buckets allow a burst of `max_rate` on top of the steady rate, so the
            # burst + rate are chosen to keep *any* window within Telegram's limits:
            # 4 + 25/s = 29 ≤ 30 messages in any second (10 + 20/s was measured at 33 in one
            # second by benchmarks/load_telegram.py: the burst is what overshoots);
            # 10 + 10/min ≤ 20 per group in any minute.
            AIORateLimiter(
                overall_max_rate=4,
                overall_time_period=0.16,
                group_max_rate=10,
                group_time_period=60,
                max_retries=2,
            )
        )
        .concurrent_updates(8)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    flow = Flow(settings, service, PLATFORM, TelegramTargets(app.bot))
    handlers = TelegramHandlers(flow, app)
    app.bot_data["handlers"] = handlers
    image_doc = filters.Document.IMAGE
    other_media = (
        filters.Sticker.ALL | filters.VIDEO | filters.VIDEO_NOTE | filters.VOICE | filters.AUDIO
        | filters.ANIMATION
    )  # fmt: skip
    app.add_handler(MessageHandler(other_media, handlers.on_unsupported))
    app.add_handler(MessageHandler(filters.PHOTO | image_doc, handlers.on_photo))
    app.add_handler(MessageHandler(filters.Document.ALL & ~image_doc, handlers.on_other_file))
    app.add_handler(CommandHandler("start", handlers.on_start))
    app.add_handler(CommandHandler("help", handlers.on_help))
    app.add_handler(CommandHandler("lang", handlers.on_lang))
    app.add_handler(CommandHandler("mood", handlers.on_mood))
    app.add_handler(CommandHandler("playlist", handlers.on_playlist))
    app.add_handler(CommandHandler("forget", handlers.on_forget))
    app.add_handler(CommandHandler("stats", handlers.on_stats))
    app.add_handler(CommandHandler("mri", handlers.on_mri_text))
    app.add_handler(MessageHandler(filters.COMMAND, handlers.on_unknown_command))
    # words in a private chat (a mood), or a reply to the bot anywhere (steering an answer)
    words = filters.TEXT & ~filters.COMMAND & (filters.ChatType.PRIVATE | filters.REPLY)
    app.add_handler(MessageHandler(words, handlers.on_text))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(InlineQueryHandler(handlers.on_inline))
    app.add_error_handler(handlers.on_error)
    # PTB's JobQueue (runs from Application.start): answers still owed (from before a restart,
    # failed sends) and group playlists whose time is up.
    assert app.job_queue is not None  # python-telegram-bot[job-queue]
    every = settings.delivery_sweep_seconds
    app.job_queue.run_repeating(handlers.sweep, every, first=0.1, name="late-deliveries")
    app.job_queue.run_repeating(
        handlers.close_due_playlists, every, first=every, name="playlist-deadlines"
    )
    return app


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    """Register the command menu."""
    await app.bot.set_my_commands([BotCommand(c, c) for c in COMMANDS])


async def _post_stop(app: Application) -> None:  # type: ignore[type-arg]
    handlers: TelegramHandlers = app.bot_data["handlers"]
    await handlers.close()


async def _post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    handlers: TelegramHandlers = app.bot_data["handlers"]
    await handlers.flow.service.aclose()


def webhook_options(settings: Settings) -> dict[str, Any] | None:
    """`Application.run_webhook` arguments, or None for polling. Webhook mode refuses to start
    without a secret: anyone who reaches the port could otherwise post updates as anyone."""
    if not settings.telegram_webhook_url:
        return None
    if settings.telegram_webhook_secret is None:
        raise ConfigError(
            "webhook mode (MRI_TELEGRAM_WEBHOOK_URL) needs MRI_TELEGRAM_WEBHOOK_SECRET, which "
            "Telegram sends with every update so that forged ones are refused; make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))' and put it in .env"
        )
    return {
        "listen": settings.telegram_webhook_listen,
        "port": settings.telegram_webhook_port,
        "url_path": settings.telegram_webhook_path,  # the public URL's path, e.g. telegram
        "webhook_url": settings.telegram_webhook_url,
        "secret_token": settings.telegram_webhook_secret.get_secret_value(),
    }


async def check_telegram(settings: Settings, token: str) -> None:
    """One getMe: ConfigError for a token Telegram rejects, ServiceUnreachable when the Bot
    API cannot be reached (retried by the caller)."""
    base_url, base_file_url = api_urls(settings.telegram_api_url)
    try:
        async with Bot(token, base_url=base_url, base_file_url=base_file_url):
            pass
    except InvalidToken:  # its message quotes the token: not shown, not chained
        raise ConfigError(
            "Telegram rejected MRI_TELEGRAM_TOKEN (401 Unauthorized): copy the token again from "
            "@BotFather (/mybots → API Token) into .env"
        ) from None
    except NetworkError as exc:  # TimedOut included
        where = describe_url("the Telegram Bot API", settings.telegram_api_url)
        raise ServiceUnreachable(f"{where} is unreachable: {exc.message}") from None


def run(settings: Settings) -> None:
    """`mri bot telegram`: polling, or a webhook when MRI_TELEGRAM_WEBHOOK_URL is set.

    Start-up waits (with back-off, core/startup.py) for Telegram, the database and Redis."""
    token = require_token(settings)  # before touching the database: fail fast
    webhook = webhook_options(settings)
    redact_secrets(settings.telegram_token, settings.telegram_webhook_secret)
    loop = asyncio.new_event_loop()  # PTB's run_* take the current loop and close it at the end
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(
            retry_async(lambda: check_telegram(settings, token), settings.startup_timeout_seconds)
        )
        service = RecommendService.from_settings(settings)
    except BaseException:
        loop.close()
        raise
    app = build_application(settings, service)  # post_shutdown closes the service
    log.info("telegram bot starting (%s)", "webhook" if webhook else "polling")
    if webhook is not None:
        log.info(
            "webhook: serving /%s on %s:%d for %s",
            webhook["url_path"], webhook["listen"], webhook["port"], webhook["webhook_url"],
        )  # fmt: skip
        app.run_webhook(**webhook, allowed_updates=Update.ALL_TYPES, bootstrap_retries=3)
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=3)
