"""The one place where a mistake becomes one sentence: exit code 2, no traceback.

Every `mri` command runs inside `MriGroup.invoke`. A mistake a person can make — a missing or
wrong file, a bad setting, a server that is down, a wrong revision — is printed as
`Error: <one sentence>` with exit code 2. Anything else is a bug: its traceback is printed (with
every secret masked, chained causes included) and the exit code is 1.
"""

from __future__ import annotations

import sys
from typing import Any

import redis
import typer
from alembic.util.exc import CommandError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from core.errors import MriError
from core.logsafe import format_exception, mask

SECRET_FIELDS = {"telegram_token", "discord_token", "telegram_webhook_secret"}


class UserError(Exception):
    """Raised by a command for a mistake in how it was called (the message is the sentence)."""


def settings_message(exc: ValidationError) -> str:
    """'MRI_TOP_K='abc': input should be a valid integer …' — named as the person wrote it."""
    parts = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        name = f"MRI_{field.upper()}" if field else "a setting"
        value = error.get("input")
        shown = "" if field in SECRET_FIELDS or isinstance(value, dict) else f"={value!r}"
        text = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{name}{shown}: {text[:1].lower()}{text[1:]}")
    return "; ".join(parts) + " (set in the environment or .env)"


def user_message(exc: BaseException) -> str | None:
    """One sentence for a mistake a person can make; None for a bug."""
    if isinstance(exc, UserError | MriError):
        return str(exc)
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return settings_message(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"cannot use {exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, DBAPIError):
        inner = exc.orig if exc.orig is not None else exc
        return f"the database is unavailable: {str(inner).strip().splitlines()[0]}"
    if isinstance(exc, redis.ConnectionError):
        return f"Redis is unreachable: {exc}"
    if isinstance(exc, CommandError):
        return f"database migrations: {exc}"
    return None


class MriGroup(TyperGroup):
    """The root command group: runs the chosen command and translates what it raises."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # usage errors: click's own
            raise
        except Exception as exc:
            message = user_message(exc)
            if message is None:
                sys.stderr.write(mask(format_exception(exc)))
                raise typer.Exit(1) from None
            typer.secho(f"Error: {mask(message)}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from None
