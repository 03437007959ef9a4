"""`mri models fetch`: the only command that goes online."""

from __future__ import annotations

from typing import Annotated

import typer

from mri.cli.context import load_settings
from mri.cli.errors import UserError

app = typer.Typer(no_args_is_help=True, help="Weights of the clip and caption taggers.")


@app.command("fetch")
def models_fetch(
    tagger: Annotated[
        str | None, typer.Option(help="clip or caption (default: the models of both).")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Hub id to fetch instead of MRI_CLIP/CAPTION_MODEL.")
    ] = None,
) -> None:
    """Download tagger weights into MRI_DATA_DIR/models (the only command that goes online)."""
    from core.tagging.factory import model_source
    from core.tagging.hub import MODEL_SETTINGS, fetch_model, is_hub_id

    settings = load_settings()
    if tagger is not None and tagger not in MODEL_SETTINGS:
        raise UserError(
            f"--tagger must be one of {', '.join(MODEL_SETTINGS)} (imagenet needs no fetch)"
        )
    if model is not None and tagger is None:
        raise UserError("--model goes with --tagger clip or --tagger caption")
    if settings.offline:
        raise UserError("MRI_OFFLINE=1: fetching needs the network; unset MRI_OFFLINE to fetch")
    for kind in [tagger] if tagger else list(MODEL_SETTINGS):
        source = model_source(kind, settings, model)
        if not is_hub_id(source):
            typer.echo(f"{kind}: {source} is a local folder, nothing to fetch")
            continue
        folder = fetch_model(source, settings.models_dir)
        typer.echo(f"{kind}: {source} -> {folder}")
