"""`mri catalog …`: build, inspect and extend catalog folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.config import DEFAULT_CATALOG
from mri.cli.context import load_settings
from mri.cli.errors import UserError

app = typer.Typer(no_args_is_help=True, help="Build and inspect catalogs.")

REPEAT = "Repeat the option for several files: --{name} a.json --{name} b.json."


def files_option(name: str, what: str) -> typer.models.OptionInfo:
    return typer.Option(
        exists=True, dir_okay=False, readable=True, help=f"{what}. {REPEAT.format(name=name)}"
    )


@app.command("build")
def catalog_build(
    playlists: Annotated[
        list[Path], files_option("playlists", "Arena-format playlists with complete song lists")
    ],
    out: Annotated[Path, typer.Option(file_okay=False)],
    partial: Annotated[
        list[Path] | None, files_option("partial", "Playlists whose song lists are partial")
    ] = None,
    tag_playlists: Annotated[
        list[Path] | None, files_option("tag-playlists", "Playlists used for their tags only")
    ] = None,
    exclude: Annotated[
        list[Path] | None, files_option("exclude", "Playlists to leave out (a holdout)")
    ] = None,
    songs: Annotated[
        list[Path] | None, files_option("songs", "Named songs (docs/named-songs.md)")
    ] = None,
    compact: Annotated[
        bool, typer.Option(help="Named songs only, float16, no exact model.")
    ] = False,
    epochs: Annotated[int | None, typer.Option(min=1)] = None,
    without: Annotated[
        list[str] | None,
        typer.Option(
            help="Place named songs without this evidence (repeat): artist, genre, mood, "
            "keyword, era, season, popularity."
        ),
    ] = None,
) -> None:
    """Build a catalog folder from Arena-format playlists and named songs."""
    from dataclasses import replace

    from training.catalog_build import BuildConfig, Inputs, build_catalog
    from training.placement import EVIDENCE

    load_settings(quiet=True)
    if unknown := sorted(set(without or ()) - set(EVIDENCE)):
        raise UserError(f"--without {unknown[0]!r}: choose from {', '.join(EVIDENCE)}")
    config = BuildConfig(compact=compact)
    if without:
        config = replace(config, placement=config.placement.without(*without))
    if epochs is not None:
        config = replace(config, tag_space=replace(config.tag_space, epochs=epochs))
    inputs = Inputs(
        playlists=playlists,
        partial=partial or [],
        tag_playlists=tag_playlists or [],
        exclude=exclude or [],
        songs=songs or [],
    )
    manifest = build_catalog(inputs, out, config)
    summary = {k: manifest[k] for k in ("version", "counts", "build_seconds")}
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command("build-default")
def catalog_build_default(
    shared: Annotated[Path, typer.Option(exists=True, file_okay=False, help="../shared/data")],
    out: Annotated[Path, typer.Option(file_okay=False)] = DEFAULT_CATALOG,
) -> None:
    """Rebuild the embedded default catalog (named songs + tag space, float16) from shared data."""
    from training.catalog_build import build_default

    load_settings(quiet=True)
    manifest = build_default(shared, out)
    summary = {k: manifest[k] for k in ("version", "counts", "build_seconds")}
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command("info")
def catalog_info(folder: Annotated[Path, typer.Argument()] = DEFAULT_CATALOG) -> None:
    """Check a catalog against its manifest and print a summary."""
    from core.catalog import load_catalog

    load_settings(quiet=True)
    m = load_catalog(folder).manifest
    keys = ("version", "built_at", "code_version", "counts", "dims", "exact", "placement_check")
    typer.echo(json.dumps({k: m[k] for k in keys}, ensure_ascii=False, indent=2))


@app.command("add-audio")
def catalog_add_audio(
    audio_dir: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Audio files.")],
    meta: Annotated[
        Path,
        typer.Option(
            exists=True, dir_okay=False, help="CSV: file, title, artist[, album_id, melon_id]."
        ),
    ],
    out: Annotated[Path, typer.Option(file_okay=False, help="The new catalog folder.")],
    catalog: Annotated[
        Path | None, typer.Option(file_okay=False, help="Parent catalog (MRI_CATALOG_DIR).")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Audio-model checkpoint (default: MRI_AUDIO_MODEL)."),
    ] = None,
) -> None:
    """Place songs from their audio and write the catalog plus those songs as a new catalog."""
    from training.audio.add_audio import FileOutcome, add_audio

    settings = load_settings(quiet=True)
    model = model or settings.audio_model
    if model is None:
        raise UserError("no audio model: pass --model CKPT or set MRI_AUDIO_MODEL")

    def report(o: FileOutcome) -> None:
        if o.error:
            typer.secho(f"✗ {o.file}: {o.error}", fg=typer.colors.YELLOW, err=True)
            return
        typer.echo(f"✓ {o.file} → {o.song_id}  {o.title} – {', '.join(o.artists)}")
        for note in o.notes:
            typer.echo(f"    note: {note}")

    result = add_audio(
        audio_dir, meta, catalog or settings.catalog_dir, model, out, on_outcome=report
    )
    manifest = result.manifest or {}
    typer.echo(
        f"added {len(result.added)} of {len(result.outcomes)} songs "
        f"({len(result.failed)} failed) → {out}: catalog {manifest.get('version')} "
        f"(parent {manifest.get('parent', {}).get('version')}); "
        f"use it with --catalog {out} or MRI_CATALOG_DIR={out}"
    )
