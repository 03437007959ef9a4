"""The `mri` command line."""

from __future__ import annotations

import typer

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="MRI: photo -> Korean tags -> songs."
)


def main() -> None:
    """Console-script entry point."""
    app()
