"""`mri data …`: turn downloaded data into the files the catalog build reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mri.cli.context import load_settings

app = typer.Typer(no_args_is_help=True, help="Prepare input data.")


@app.command("split")
def data_split(
    playlists: Annotated[Path, typer.Option(exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option(file_okay=False)],
    n_holdout: int = 1000,
    n_validation: int = 1000,
    seed: int = 0,
) -> None:
    """Split complete playlists into holdout / validation / train files (never train on holdout)."""
    from training.playlists import read_playlists, split_playlists, write_playlists

    load_settings(quiet=True)
    split = split_playlists(
        read_playlists(playlists), n_holdout=n_holdout, n_validation=n_validation, seed=seed
    )
    write_playlists(split.holdout, out / "holdout.json")
    write_playlists(split.validation, out / "validation.json")
    write_playlists(split.rest + split.validation, out / "train.json")
    write_playlists(split.rest, out / "train_minus_validation.json")
    typer.echo(
        f"holdout {len(split.holdout)}, validation {len(split.validation)}, "
        f"train {len(split.rest) + len(split.validation)} -> {out}"
    )


@app.command("named-songs")
def data_named_songs(
    shared: Annotated[Path, typer.Option(exists=True, file_okay=False, help="../shared/data")],
    out: Annotated[Path, typer.Option(dir_okay=False)],
) -> None:
    """Convert the shared song lists into the named-song format (docs/named-songs.md)."""
    from training.named_songs import build_named_songs
    from training.songs_io import write_jsonl

    load_settings(quiet=True)
    songs = build_named_songs(shared)
    write_jsonl(songs, out)
    typer.echo(f"{len(songs)} named songs -> {out}")


@app.command("arena-songs")
def data_arena_songs(
    song_meta: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="song_meta.json")],
    genres: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="genre_gn_all.json")],
    out: Annotated[Path, typer.Option(dir_okay=False)],
) -> None:
    """Convert Arena's song_meta.json (full release) into the named-song format."""
    from training.named_songs import merge_songs
    from training.song_sources import read_song_meta_file
    from training.songs_io import write_jsonl

    load_settings(quiet=True)
    songs = merge_songs(read_song_meta_file(song_meta, genres))
    write_jsonl(songs, out)
    typer.echo(f"{len(songs)} named Arena songs -> {out}")
