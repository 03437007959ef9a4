"""`mri recommend`: a photo (or words) → tags and songs in the terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.domain import PeopleSeen, Recommendation
from mri.cli.context import load_settings
from mri.cli.errors import UserError


def format_recommendation(rec: Recommendation) -> str:
    """Plain-text reply for the terminal: hashtags, then numbered songs with links."""
    lines = [" ".join(f"#{t.tag}" for t in rec.tags) or "(no tags)", ""]
    for n, s in enumerate(rec.songs, 1):
        artists = ", ".join(s.song.artists)
        because = f"  ({' · '.join('#' + b for b in s.because)})" if s.because else ""
        lines.append(f"{n:>2}. {s.song.title} – {artists}{because}")
        lines.append(f"    {s.melon_url or s.melon_search_url}")
    lines += ["", f"tagger: {rec.tagger} · catalog: {rec.catalog}"]
    if rec.extra.get("caption"):
        lines.append(f"caption: {rec.extra['caption']}")
    people = rec.extra.get("people")
    if isinstance(people, PeopleSeen) and people.faces:
        expressions = ", ".join(f.expression for f in people.faces)
        lines.append(f"faces: {len(people.faces)} ({expressions}) · {people.group}")
    if rec.extra.get("tagger_fallback"):
        lines.append(f"note: {rec.extra['tagger_fallback']}")
    return "\n".join(lines)


def recommend(
    photo: Annotated[
        Path | None,
        typer.Argument(
            help="A photo (JPEG, PNG, WebP ...).", exists=True, dir_okay=False, readable=True
        ),
    ] = None,
    text: Annotated[str | None, typer.Option(help="Describe a mood instead of a photo.")] = None,
    top: Annotated[int, typer.Option(min=1, max=50)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    catalog: Annotated[Path | None, typer.Option(help="Catalog folder.")] = None,
    tagger: Annotated[
        str | None,
        typer.Option(help="imagenet, clip, caption or ensemble (default: MRI_TAGGER)."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Hub id or folder for the clip or caption tagger.")
    ] = None,
) -> None:
    """Tag a photo (or a text) and print songs with Melon links."""
    from core.pipeline import Pipeline  # heavy imports only for this command
    from core.tagging.factory import TAGGERS
    from core.tagging.hub import MODEL_SETTINGS

    settings = load_settings(quiet=True)
    if photo is None and text is None:
        raise UserError("give a PHOTO to tag, or --text '…' describing a mood")
    if photo is not None and text is not None:
        raise UserError("give either a PHOTO or --text, not both")
    if tagger is not None and tagger not in TAGGERS:
        raise UserError(f"--tagger must be one of {', '.join(TAGGERS)}")
    if model is not None and (tagger or settings.tagger) not in MODEL_SETTINGS:
        raise UserError("--model goes with --tagger clip or --tagger caption")
    # An explicitly chosen tagger that cannot run is an error; a configured one falls back.
    pipe = Pipeline.from_settings(
        settings, catalog_dir=catalog, tagger_name=tagger, model=model, fallback=tagger is None
    )
    rec = (
        pipe.recommend_photo_file(photo, top_k=top)
        if photo
        else pipe.recommend_text(text or "", top_k=top)
    )
    if as_json:
        typer.echo(json.dumps(rec.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(format_recommendation(rec))
