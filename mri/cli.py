"""The `mri` command line: wires core (recommender), training (catalog, eval) and, later, bots."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from PIL import Image

from core.config import DEFAULT_CATALOG, Settings
from core.domain import Recommendation
from core.errors import MriError
from core.logsafe import redact_secrets

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="MRI: photo -> Korean tags -> Melon songs."
)
catalog_app = typer.Typer(no_args_is_help=True, help="Build and inspect catalogs.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
bot_app = typer.Typer(no_args_is_help=True, help="Run a chat bot.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure recommendation quality.")
data_app = typer.Typer(no_args_is_help=True, help="Prepare input data.")
app.add_typer(catalog_app, name="catalog")
app.add_typer(eval_app, name="eval")
app.add_typer(data_app, name="data")
app.add_typer(db_app, name="db")
app.add_typer(bot_app, name="bot")

Files = Annotated[list[Path], typer.Option(exists=True, dir_okay=False, readable=True)]


def _setup(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "faiss", "numba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    redact_secrets(settings.telegram_token, settings.discord_token)


def format_recommendation(rec: Recommendation) -> str:
    """Plain-text reply for the terminal: hashtags, then numbered songs with links."""
    lines = [" ".join(f"#{t.tag}" for t in rec.tags) or "(no tags)", ""]
    for n, s in enumerate(rec.songs, 1):
        artists = ", ".join(s.song.artists)
        because = f"  ({' · '.join('#' + b for b in s.because)})" if s.because else ""
        lines.append(f"{n:>2}. {s.song.title} – {artists}{because}")
        lines.append(f"    {s.melon_url or s.melon_search_url}")
    lines += ["", f"tagger: {rec.tagger} · catalog: {rec.catalog}"]
    return "\n".join(lines)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


@app.command()
def recommend(
    photo: Annotated[Path | None, typer.Argument(help="A photo (JPEG, PNG, WebP ...).")] = None,
    text: Annotated[str | None, typer.Option(help="Describe a mood instead of a photo.")] = None,
    top: Annotated[int, typer.Option(min=1, max=50)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    catalog: Annotated[Path | None, typer.Option(help="Catalog folder.")] = None,
) -> None:
    """Tag a photo (or a text) and print songs with Melon links."""
    from core.pipeline import Pipeline  # heavy imports only for this command

    settings = Settings()
    _setup(settings)
    if (photo is None) == (text is None):
        raise _fail("give either a PHOTO or --text, not both")
    try:
        pipe = Pipeline.from_settings(settings, catalog_dir=catalog)
        rec = (
            pipe.recommend_photo_file(photo, top_k=top)
            if photo
            else pipe.recommend_text(text or "", top_k=top)
        )
    except MriError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(rec.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(format_recommendation(rec))


@data_app.command("split")
def data_split(
    playlists: Annotated[Path, typer.Option(exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option(file_okay=False)],
    n_holdout: int = 1000,
    n_validation: int = 1000,
    seed: int = 0,
) -> None:
    """Split complete playlists into holdout / validation / train files (never train on holdout)."""
    from training.playlists import read_playlists, split_playlists, write_playlists

    _setup(Settings())
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


@data_app.command("named-songs")
def data_named_songs(
    shared: Annotated[Path, typer.Option(exists=True, file_okay=False, help="../shared/data")],
    out: Annotated[Path, typer.Option(dir_okay=False)],
) -> None:
    """Convert the shared song lists into the named-song format (docs/named-songs.md)."""
    from training.named_songs import build_named_songs
    from training.songs_io import write_jsonl

    _setup(Settings())
    songs = build_named_songs(shared)
    write_jsonl(songs, out)
    typer.echo(f"{len(songs)} named songs -> {out}")


@data_app.command("arena-songs")
def data_arena_songs(
    song_meta: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="song_meta.json")],
    genres: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="genre_gn_all.json")],
    out: Annotated[Path, typer.Option(dir_okay=False)],
) -> None:
    """Convert Arena's song_meta.json (full release) into the named-song format."""
    from training.named_songs import merge_songs, read_song_meta_file
    from training.songs_io import write_jsonl

    _setup(Settings())
    songs = merge_songs(read_song_meta_file(song_meta, genres))
    write_jsonl(songs, out)
    typer.echo(f"{len(songs)} named Arena songs -> {out}")


@catalog_app.command("build")
def catalog_build(
    playlists: Files,
    out: Annotated[Path, typer.Option(file_okay=False)],
    partial: Annotated[list[Path] | None, typer.Option(exists=True, dir_okay=False)] = None,
    tag_playlists: Annotated[list[Path] | None, typer.Option(exists=True, dir_okay=False)] = None,
    exclude: Annotated[list[Path] | None, typer.Option(exists=True, dir_okay=False)] = None,
    songs: Annotated[list[Path] | None, typer.Option(exists=True, dir_okay=False)] = None,
    compact: Annotated[
        bool, typer.Option(help="Named songs only, float16, no exact model.")
    ] = False,
    epochs: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """Build a catalog folder from Arena-format playlists and named songs."""
    from dataclasses import replace

    from training.catalog_build import BuildConfig, Inputs, build_catalog

    settings = Settings()
    _setup(settings)
    config = BuildConfig(compact=compact)
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
    typer.echo(
        json.dumps(
            {k: manifest[k] for k in ("version", "counts", "build_seconds")}, ensure_ascii=False
        )
    )


@catalog_app.command("build-default")
def catalog_build_default(
    shared: Annotated[Path, typer.Option(exists=True, file_okay=False, help="../shared/data")],
    out: Annotated[Path, typer.Option(file_okay=False)] = DEFAULT_CATALOG,
) -> None:
    """Rebuild the embedded default catalog (named songs + tag space, float16) from shared data."""
    from training.catalog_build import build_default

    _setup(Settings())
    manifest = build_default(shared, out)
    summary = {k: manifest[k] for k in ("version", "counts", "build_seconds")}
    typer.echo(json.dumps(summary, ensure_ascii=False))


@catalog_app.command("info")
def catalog_info(folder: Annotated[Path, typer.Argument()] = DEFAULT_CATALOG) -> None:
    """Check a catalog against its manifest and print a summary."""
    from core.catalog import load_catalog

    _setup(Settings())
    try:
        cat = load_catalog(folder)
    except MriError as exc:
        raise _fail(str(exc)) from None
    m = cat.manifest
    typer.echo(
        json.dumps(
            {
                k: m[k]
                for k in (
                    "version",
                    "built_at",
                    "code_version",
                    "counts",
                    "dims",
                    "exact",
                    "placement_check",
                )
            },
            ensure_ascii=False,
            indent=2,
        )
    )


@eval_app.command("offline")
def eval_offline(
    holdout: Annotated[Path, typer.Option(exists=True, dir_okay=False)],
    catalog: Annotated[Path | None, typer.Option(file_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """nDCG@100 / recall@100 of MRI and baselines on held-out Arena playlists."""
    from core.catalog import load_catalog
    from training.evaluate import evaluate_offline
    from training.playlists import read_playlists

    settings = Settings()
    _setup(settings)
    try:
        cat = load_catalog(catalog or settings.catalog_dir)
        result = evaluate_offline(cat, read_playlists(holdout))
    except (MriError, FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"held-out playlists: {result['n']}   catalog: {cat.version}")
    typer.echo(f"{'method':<14}{'nDCG@100':>10}{'recall@100':>12}")
    for name, score in result.items():
        if isinstance(score, dict):
            typer.echo(f"{name:<14}{score['ndcg@100']:>10.4f}{score['recall@100']:>12.4f}")


@eval_app.command("photos")
def eval_photos(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
    catalog: Annotated[Path | None, typer.Option(file_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Scene-relevant tag in the top 5 for photos named <scene>__*.jpg."""
    from core.imaging import read_image_file
    from core.pipeline import Pipeline
    from training.photo_eval import evaluate_photos

    settings = Settings()
    _setup(settings)
    try:
        pipe = Pipeline.from_settings(settings, catalog_dir=catalog)
    except MriError as exc:
        raise _fail(str(exc)) from None

    def load(path: Path) -> Image.Image:
        return read_image_file(
            path, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
        )

    result = evaluate_photos(folder, pipe.tagger.tag, load)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for p in result["photos"]:
        typer.echo(f"{'✓' if p['hit'] else '✗'} {p['file']:<48} {' '.join(p['top5'])}")
    typer.echo("")
    for scene, c in result["per_scene"].items():
        typer.echo(f"{scene:<10} {c['hits']}/{c['n']}")
    typer.echo(
        f"scene-relevant tag in top 5: {result['hits']}/{result['n']} = {result['hit_rate']:.1%}"
    )


@bot_app.command("telegram")
def bot_telegram() -> None:
    """Run the Telegram bot (token from MRI_TELEGRAM_TOKEN in the environment or .env)."""
    from bot.telegram.app import MissingToken, run

    settings = Settings()
    _setup(settings)
    try:
        run(settings)
    except MissingToken as exc:
        raise _fail(str(exc)) from None


@bot_app.command("discord")
def bot_discord() -> None:
    """Run the Discord bot (token from MRI_DISCORD_TOKEN in the environment or .env)."""
    from bot.discord.app import MissingToken, StartError, run

    settings = Settings()
    _setup(settings)
    try:
        run(settings)
    except (MissingToken, StartError) as exc:  # also a rejected token or a refused intent
        raise _fail(str(exc)) from None


@app.command()
def worker(
    workers: Annotated[int, typer.Option(min=1, max=32, help="Worker processes.")] = 1,
) -> None:
    """Run the recommender worker(s): consume jobs until SIGTERM (graceful) or SIGINT."""
    from core.worker import run_worker

    settings = Settings()
    _setup(settings)
    run_worker(settings, workers)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Queue depth, workers alive, jobs done/failed in the last hour, last error."""
    from dataclasses import asdict

    from core.service import RecommendService

    settings = Settings()
    _setup(settings)
    service = RecommendService.from_settings(settings)
    try:
        st = service.status()
    finally:
        service.db.dispose()
    data = {"queue": st.queue_kind, "queue_pending": st.queue_pending, **asdict(st.stats)}
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    pending = "unreachable" if st.queue_pending is None else str(st.queue_pending)
    typer.echo(f"queue ({st.queue_kind}): {pending} waiting")
    typer.echo(f"workers alive: {st.stats.workers_alive}")
    typer.echo(f"jobs: {st.stats.queued} queued, {st.stats.running} running")
    typer.echo(f"last hour: {st.stats.done_last_hour} done, {st.stats.failed_last_hour} failed")
    typer.echo(f"last error: {st.stats.last_error or '-'}")
    votes = f"{st.stats.votes_up} 👍 / {st.stats.votes_down} 👎"
    typer.echo(f"votes: {votes} over {st.stats.requests_total} requests")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from core.db.database import Database

    settings = Settings()
    _setup(settings)
    Database(settings.resolved_database_url).upgrade(revision)
    typer.echo(f"database at {revision}: {_safe_url(settings.resolved_database_url)}")


@db_app.command("downgrade")
def db_downgrade(revision: str = "-1") -> None:
    """Revert migrations down to REVISION (default: undo the newest one)."""
    from core.db.database import Database

    settings = Settings()
    _setup(settings)
    Database(settings.resolved_database_url).downgrade(revision)


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    from alembic.util.exc import AutogenerateDiffsDetected

    from core.db.database import Database

    settings = Settings()
    _setup(settings)
    try:
        Database(settings.resolved_database_url).check()
    except AutogenerateDiffsDetected as exc:
        raise _fail(f"models and migrations differ: {exc}") from None
    typer.echo("models match the migrations")


def _safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    """Console-script entry point."""
    app()
