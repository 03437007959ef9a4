"""The root `mri` command: every command group, run inside the one error handler."""

from __future__ import annotations

import typer

from mri.cli import audio, bots, catalog, data, db, evaluate, models, services
from mri.cli.errors import MriGroup
from mri.cli.recommend import recommend

app = typer.Typer(
    cls=MriGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # errors.py prints them, with secrets masked
    rich_markup_mode=None,  # usage errors as plain text lines, not a box
    help="MRI: photo -> Korean tags -> Melon songs.",
)
app.command()(recommend)
app.command()(services.worker)
app.command()(services.run)
app.command()(services.status)
app.add_typer(catalog.app, name="catalog")
app.add_typer(evaluate.app, name="eval")
app.add_typer(data.app, name="data")
app.add_typer(db.app, name="db")
app.add_typer(bots.app, name="bot")
app.add_typer(models.app, name="models")
app.add_typer(audio.app, name="audio")


def main() -> None:
    """Console-script entry point."""
    app()
