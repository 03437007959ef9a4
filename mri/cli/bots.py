"""`mri bot telegram` and `mri bot discord`."""

from __future__ import annotations

import typer

from mri.cli.context import load_settings

app = typer.Typer(no_args_is_help=True, help="Run a chat bot.")


@app.command("telegram")
def bot_telegram() -> None:
    """Run the Telegram bot (token from MRI_TELEGRAM_TOKEN in the environment or .env)."""
    from bot.telegram.app import run

    run(load_settings())


@app.command("discord")
def bot_discord() -> None:
    """Run the Discord bot (token from MRI_DISCORD_TOKEN in the environment or .env)."""
    from bot.discord.app import run

    run(load_settings())
