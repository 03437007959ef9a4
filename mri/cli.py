"""The `mri` command line: wires core (recommender), training (catalog, eval) and, later, bots."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

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
models_app = typer.Typer(no_args_is_help=True, help="Weights of the clip and caption taggers.")
audio_app = typer.Typer(no_args_is_help=True, help="Audio model for cold-start songs.")
app.add_typer(catalog_app, name="catalog")
app.add_typer(eval_app, name="eval")
app.add_typer(data_app, name="data")
app.add_typer(db_app, name="db")
app.add_typer(bot_app, name="bot")
app.add_typer(models_app, name="models")
app.add_typer(audio_app, name="audio")

Files = Annotated[list[Path], typer.Option(exists=True, dir_okay=False, readable=True)]


def _setup(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "faiss", "numba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if settings.offline:
        from core.tagging.hub import set_offline

        set_offline()
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
    if rec.extra.get("caption"):
        lines.append(f"caption: {rec.extra['caption']}")
    if rec.extra.get("tagger_fallback"):
        lines.append(f"note: {rec.extra['tagger_fallback']}")
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

    settings = Settings()
    _setup(settings)
    if (photo is None) == (text is None):
        raise _fail("give either a PHOTO or --text, not both")
    if tagger is not None and tagger not in TAGGERS:
        raise _fail(f"--tagger must be one of {', '.join(TAGGERS)}")
    if model is not None and (tagger or settings.tagger) not in MODEL_SETTINGS:
        raise _fail("--model goes with --tagger clip or --tagger caption")
    try:
        # An explicitly chosen tagger that cannot run is an error; a configured one falls back.
        pipe = Pipeline.from_settings(
            settings, catalog_dir=catalog, tagger_name=tagger, model=model, fallback=tagger is None
        )
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


@catalog_app.command("add-audio")
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
    from training.audio.add_audio import AddAudioError, FileOutcome, add_audio
    from training.audio.checkpoint import CheckpointError
    from training.catalog_append import AppendError

    settings = Settings()
    _setup(settings)
    model = model or settings.audio_model
    if model is None:
        raise _fail("no audio model: pass --model CKPT or set MRI_AUDIO_MODEL")

    def report(o: FileOutcome) -> None:
        if o.error:
            typer.secho(f"✗ {o.file}: {o.error}", fg=typer.colors.YELLOW, err=True)
            return
        typer.echo(f"✓ {o.file} → {o.song_id}  {o.title} – {', '.join(o.artists)}")
        for note in o.notes:
            typer.echo(f"    note: {note}")

    try:
        result = add_audio(
            audio_dir, meta, catalog or settings.catalog_dir, model, out, on_outcome=report
        )
    except (AddAudioError, AppendError, CheckpointError, MriError) as exc:
        raise _fail(str(exc)) from None
    manifest = result.manifest or {}
    typer.echo(
        f"added {len(result.added)} of {len(result.outcomes)} songs "
        f"({len(result.failed)} failed) → {out}: catalog {manifest.get('version')} "
        f"(parent {manifest.get('parent', {}).get('version')}); "
        f"use it with --catalog {out} or MRI_CATALOG_DIR={out}"
    )


@audio_app.command("train")
def audio_train(
    mels: Annotated[
        Path, typer.Option(exists=True, file_okay=False, help="arena_mel: <id//1000>/<id>.npy")
    ],
    catalog: Annotated[
        Path, typer.Option(exists=True, file_okay=False, help="Catalog whose vectors to learn.")
    ],
    out: Annotated[Path, typer.Option(dir_okay=False, help="Checkpoint (resumed if present).")],
    arch: Annotated[str, typer.Option(help="pooled (default) or seed (the baseline).")] = "pooled",
    epochs: Annotated[int, typer.Option(min=1)] = 30,
    batch: Annotated[int, typer.Option(min=2)] = 64,
    lr: Annotated[float, typer.Option(min=0.0)] = 1e-3,
    loss: Annotated[str, typer.Option(help="both, cosine or contrastive.")] = "both",
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    workers: Annotated[int, typer.Option(min=0, help="Data-loading processes.")] = 0,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads (cpu device).")] = 2,
    limit: Annotated[int | None, typer.Option(min=4, help="Use only the first N songs.")] = None,
    restart: Annotated[bool, typer.Option(help="Ignore an existing checkpoint.")] = False,
) -> None:
    """Train the mel-spectrogram CNN on Arena mels of songs that are in the catalog."""
    from training.audio.arena import ArenaMelError, arena_training_set
    from training.audio.checkpoint import CheckpointError, catalog_info
    from training.audio.mel import MelConfig
    from training.audio.model import AudioNetConfig
    from training.audio.train import FileMels, TrainConfig, TrainData, train_audio_model

    settings = Settings()
    _setup(settings)
    if arch not in ("pooled", "seed") or loss not in ("both", "cosine", "contrastive"):
        raise _fail("--arch is pooled or seed; --loss is both, cosine or contrastive")
    if device not in ("auto", "cpu", "cuda"):
        raise _fail("--device is auto, cpu or cuda")
    try:
        found, manifest = arena_training_set(mels, catalog, limit=limit)
    except (ArenaMelError, MriError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"mel files: {json.dumps(found.report)}; compression: {found.compression}")
    mel = MelConfig(compression=found.compression)
    net = AudioNetConfig(
        arch=arch,  # type: ignore[arg-type]
        n_mels=mel.n_mels,
        frames=mel.frames,
        out_dim=int(manifest["dims"]["tag_space"]),
    )
    config = TrainConfig(
        epochs=epochs,
        batch=batch,
        lr=lr,
        loss=loss,  # type: ignore[arg-type]
        device=device,  # type: ignore[arg-type]
        workers=workers,
        threads=threads,
    )
    data = TrainData(
        FileMels(found.paths, mel.n_mels, mel.frames),
        found.targets,
        found.rows,
        found.catalog_vectors,
    )
    try:
        summary = train_audio_model(
            data, net, mel, config, out, catalog_info(manifest, catalog), resume=not restart
        )
    except CheckpointError as exc:
        raise _fail(str(exc)) from None
    last = summary["history"][-1] if summary["history"] else {}
    typer.echo(json.dumps({"out": str(out), "epoch": last.get("epoch"),
                           "holdout": last.get("holdout")}, ensure_ascii=False))  # fmt: skip


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
    taggers: Annotated[
        list[str] | None,
        typer.Option(
            "--tagger", help="Tagger to compare (repeat); default: imagenet + MRI_TAGGER's."
        ),
    ] = None,
) -> None:
    """Scene-relevant tag in the top 5 for photos named <scene>__*.jpg, per tagger."""
    from core.catalog import load_catalog
    from core.imaging import read_image_file
    from core.tagging.base import Tagger
    from core.tagging.factory import TAGGERS, build_tagger, configured_taggers
    from training.photo_eval import compare_taggers, format_comparison

    settings = Settings()
    _setup(settings)
    names = list(dict.fromkeys(taggers or configured_taggers(settings)))
    if unknown := [n for n in names if n not in TAGGERS]:
        raise _fail(f"unknown tagger {unknown[0]!r}; choose from {', '.join(TAGGERS)}")
    try:
        cat = load_catalog(catalog or settings.catalog_dir)
    except MriError as exc:
        raise _fail(str(exc)) from None
    built: dict[str, Tagger] = {}
    runnable: dict[str, Any] = {}
    for name in names:
        try:
            tagger = build_tagger(name, cat, settings, shared=built)
            runnable[name] = lambda image, t=tagger: t.tag_batch([image])[0]
        except MriError as exc:  # reported as a row, the others still run
            runnable[name] = str(exc)

    def load(path: Path) -> Image.Image:
        return read_image_file(
            path, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
        )

    results = compare_taggers(folder, runnable, load)
    first = next((r for r in results.values() if "unavailable" not in r), {})
    if as_json:  # the first tagger that ran at the top level (the shape before comparisons)
        typer.echo(json.dumps({**first, "taggers": results}, ensure_ascii=False, indent=2))
        return
    typer.echo(format_comparison(results))


@eval_app.command("feedback")
def eval_feedback(
    out: Annotated[Path, typer.Option(file_okay=False, help="Folder for the report.")] = Path(
        "artifacts/feedback"
    ),
    since: Annotated[
        str | None, typer.Option(help="Only votes from this date on (YYYY-MM-DD).")
    ] = None,
    export_log: Annotated[
        Path | None, typer.Option(help="Also write the votes as a log for `mri eval replay`.")
    ] = None,
) -> None:
    """Like-rates with 95% intervals, interleaved A/B verdicts and plots from the stored votes."""
    import datetime as dt

    from core.db.database import Database
    from training.feedback_report import write_report
    from training.vote_replay import export_log as export

    settings = Settings()
    _setup(settings)
    try:
        start = dt.datetime.fromisoformat(since).replace(tzinfo=dt.UTC) if since else None
    except ValueError:
        raise _fail(f"--since {since!r} is not a date like 2026-11-01") from None
    db = Database(settings.resolved_database_url)
    db.upgrade()
    try:
        report = write_report(db, out, start)
        if export_log is not None:
            replies = export(db)
            export_log.write_text("".join(r.to_json() + "\n" for r in replies), encoding="utf-8")
            typer.echo(f"{len(replies)} replies with votes → {export_log}")
    finally:
        db.dispose()
    if not report.rows:
        typer.echo(f"No votes yet. (An empty report is in {out}/summary.md)")
        return
    o = report.overall
    lo, hi = o.interval
    typer.echo(f"{o.n} votes, like-rate {o.rate:.1%} (95% CI {lo:.1%}–{hi:.1%})")
    for x in report.interleaving:
        typer.echo(
            f"A/B {x.teams[0]} vs {x.teams[1]}: wins {x.wins[0]}–{x.wins[1]}, "
            f"ties {x.ties}, p={x.p_value:.3g}"
        )
    typer.echo(f"report: {out / 'summary.md'} · {out / 'summary.html'}")


@eval_app.command("replay")
def eval_replay(
    log: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="A vote log (JSON lines).")
    ] = None,
    synthetic: Annotated[
        int, typer.Option(help="Without --log: replies in a synthetic log with hidden tastes.")
    ] = 400,
    write_log: Annotated[Path | None, typer.Option(help="Save the synthetic log here.")] = None,
    strength: Annotated[float, typer.Option(help="Re-ranking strength.")] = 1.0,
    prior: Annotated[float, typer.Option(help="Shrinkage prior (votes).")] = 3.0,
    catalog: Annotated[Path | None, typer.Option(file_okay=False)] = None,
    seed: int = 0,
) -> None:
    """Replay a vote log in time order: top-10 quality before and after vote re-ranking."""
    from core.catalog import load_catalog
    from training.vote_replay import read_log, replay, synthetic_log

    settings = Settings()
    _setup(settings)
    try:
        cat = load_catalog(catalog or settings.catalog_dir)
    except MriError as exc:
        raise _fail(str(exc)) from None
    replies = read_log(log) if log else synthetic_log(cat, replies=synthetic, seed=seed)
    if write_log is not None and log is None:
        write_log.write_text("".join(r.to_json() + "\n" for r in replies), encoding="utf-8")
    result = replay(cat, replies, strength=strength, prior=prior, progress=True)
    typer.echo(result.table())


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


@models_app.command("fetch")
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

    settings = Settings()
    _setup(settings)
    if tagger is not None and tagger not in MODEL_SETTINGS:
        raise _fail(
            f"--tagger must be one of {', '.join(MODEL_SETTINGS)} (imagenet needs no fetch)"
        )
    if model is not None and tagger is None:
        raise _fail("--model goes with --tagger clip or --tagger caption")
    if settings.offline:
        raise _fail("MRI_OFFLINE=1: fetching needs the network; unset MRI_OFFLINE to fetch")
    for kind in [tagger] if tagger else list(MODEL_SETTINGS):
        source = model_source(kind, settings, model)
        if not is_hub_id(source):
            typer.echo(f"{kind}: {source} is a local folder, nothing to fetch")
            continue
        try:
            folder = fetch_model(source, settings.models_dir)
        except MriError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"{kind}: {source} -> {folder}")


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
def run(
    workers: Annotated[int, typer.Option(min=1, max=32, help="Worker processes.")] = 1,
    grace: Annotated[float, typer.Option(help="Seconds children get to stop.")] = 30.0,
) -> None:
    """Worker(s) and every bot with a token, under one supervisor that restarts crashed children
    and shuts everything down cleanly on SIGTERM/SIGINT."""
    from mri.supervisor import Child, Supervisor, mri_command

    settings = Settings()
    _setup(settings)
    children = [Child("worker", mri_command("worker", "--workers", str(workers)))]
    if settings.telegram_token is not None:
        children.append(Child("telegram", mri_command("bot", "telegram")))
    if settings.discord_token is not None:
        children.append(Child("discord", mri_command("bot", "discord")))
    bots = [c.name for c in children[1:]] or ["none: set MRI_TELEGRAM_TOKEN / MRI_DISCORD_TOKEN"]
    logging.getLogger(__name__).info("supervising worker ×%d, bots: %s", workers, ", ".join(bots))
    supervisor = Supervisor(children, settings.data_dir / "run.json", grace=grace)
    raise typer.Exit(supervisor.run())


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Queue depth, workers alive, jobs done/failed in the last hour, last error."""
    from dataclasses import asdict

    from core.service import RecommendService
    from core.tagging.factory import missing_weights

    settings = Settings()
    _setup(settings)
    service = RecommendService.from_settings(settings)
    try:
        st = service.status()
    finally:
        service.db.dispose()
    data = {"queue": st.queue_kind, "queue_pending": st.queue_pending, **asdict(st.stats)}
    missing = missing_weights(settings.tagger, settings)  # a file check, loads nothing
    data |= {"tagger": settings.tagger, "tagger_missing_weights": missing}
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
    typer.echo(_tagger_status(settings.tagger, missing, st.stats.worker_taggers))


def _tagger_status(configured: str, missing: dict[str, str], workers: tuple[str, ...]) -> str:
    """'tagger: clip (workers: imagenet (fallback for clip))' and why, when weights are missing."""
    from core.tagging.factory import OFFLINE_DEFAULT

    line = f"tagger: {configured}" + (f" (workers: {', '.join(workers)})" if workers else "")
    for kind, reason in missing.items():
        if configured == "ensemble":
            line += f"\n  the ensemble runs without {kind}: {reason}"
        else:
            line += f"\n  workers fall back to {OFFLINE_DEFAULT}: {reason}"
    return line


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


if __name__ == "__main__":
    main()
