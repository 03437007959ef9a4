"""`mri eval …`: offline metrics, photo tagging, served songs, the votes report and replays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from PIL import Image

from mri.cli.context import load_settings
from mri.cli.errors import UserError

app = typer.Typer(no_args_is_help=True, help="Measure recommendation quality.")


@app.command("offline")
def eval_offline(
    holdout: Annotated[Path, typer.Option(exists=True, dir_okay=False)],
    catalog: Annotated[Path | None, typer.Option(file_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """nDCG@100 / recall@100 of MRI and baselines on held-out Arena playlists."""
    from core.catalog import load_catalog
    from training.evaluate import evaluate_offline
    from training.playlists import read_playlists

    settings = load_settings(quiet=True)
    cat = load_catalog(catalog or settings.catalog_dir)
    result = evaluate_offline(cat, read_playlists(holdout))
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"held-out playlists: {result['n']}   catalog: {cat.version}")
    typer.echo(f"{'method':<14}{'nDCG@100':>10}{'recall@100':>12}")
    for name, score in result.items():
        if isinstance(score, dict):
            typer.echo(f"{name:<14}{score['ndcg@100']:>10.4f}{score['recall@100']:>12.4f}")


@app.command("photos")
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
    half: Annotated[
        int | None,
        typer.Option(
            min=1, max=2, help="Only half 1 or 2 of the photos (a stable split, even per scene)."
        ),
    ] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Leave out the per-photo lines.")
    ] = False,
) -> None:
    """Scene-relevant tag in the top 5, per scene and tagger. Scenes come from FOLDER/labels.csv
    (file,scenes with scenes ;-separated) or from file names <scene>__*.jpg."""
    from core.catalog import load_catalog
    from core.errors import MriError
    from core.imaging import read_image_file
    from core.tagging.base import Tagger
    from core.tagging.factory import TAGGERS, build_tagger, configured_taggers
    from training.photo_eval import compare_taggers
    from training.photo_report import format_comparison

    settings = load_settings(quiet=True)
    names = list(dict.fromkeys(taggers or configured_taggers(settings)))
    if unknown := [n for n in names if n not in TAGGERS]:
        raise UserError(f"unknown tagger {unknown[0]!r}; choose from {', '.join(TAGGERS)}")
    cat = load_catalog(catalog or settings.catalog_dir)
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

    try:
        results = compare_taggers(folder, runnable, load, half=half)
    except (ValueError, UnicodeDecodeError) as exc:  # a labels.csv that cannot be read
        raise UserError(str(exc)) from None
    first = next((r for r in results.values() if "unavailable" not in r), {})
    if as_json:  # the first tagger that ran at the top level (the shape before comparisons)
        typer.echo(json.dumps({**first, "taggers": results}, ensure_ascii=False, indent=2))
        return
    typer.echo(format_comparison(results, per_photo=not summary))


@app.command("served")
def eval_served(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
    chart: Annotated[
        Path | None,
        typer.Option(help="Melon monthly chart: songs.jsonl or chart.tsv (default: ../shared)."),
    ] = None,
    catalog: Annotated[Path | None, typer.Option(file_okay=False)] = None,
    tagger: Annotated[str | None, typer.Option(help="Tagger (default: MRI_TAGGER).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Variety, links, charted share and season agreement of the top 10s served for DIR."""
    from core.pipeline import Pipeline
    from training.melon_chart import read_chart_songs
    from training.served_eval import ChartLookup, format_served, serve_folder, summarise_served
    from training.shared import shared_data_dir

    settings = load_settings(quiet=True)
    chart = chart or shared_data_dir() / "melon_monthly_chart" / "songs.jsonl"
    lookup = ChartLookup(read_chart_songs(chart)) if chart.exists() else None
    pipe = Pipeline.from_settings(
        settings, catalog_dir=catalog, tagger_name=tagger, fallback=tagger is None
    )
    replies = serve_folder(folder, lambda p: pipe.recommend_photo_file(p, top_k=10).songs)
    if not replies:
        raise UserError(f"{folder} holds no photos (.jpg, .png, .webp ...)")
    summary = summarise_served(replies, lookup)
    if as_json:
        songs = [{"photo": r.photo, "songs": [s.song.id for s in r.songs]} for r in replies]
        typer.echo(json.dumps({**summary, "replies": songs}, ensure_ascii=False, indent=2))
        return
    typer.echo(format_served(summary))
    if lookup is None:
        typer.echo(f"(no chart file at {chart}: charted share and seasons not measured)")


def since_date(since: str | None) -> dt.datetime | None:
    """--since YYYY-MM-DD as the start of that day (UTC); one sentence when it is not a date."""
    try:
        return dt.datetime.fromisoformat(since).replace(tzinfo=dt.UTC) if since else None
    except ValueError:
        raise UserError(f"--since {since!r} is not a date like 2026-11-01") from None


@app.command("feedback")
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
    from core.startup import open_database
    from training.correction_report import markdown as corrections_markdown
    from training.correction_report import tag_feedback
    from training.feedback_report import write_report
    from training.vote_replay import export_log as export

    start = since_date(since)
    db = open_database(load_settings().model_copy(update={"startup_timeout_seconds": 0.0}))
    try:
        report = write_report(db, out, start)
        tags = tag_feedback(db, start)
        with open(out / "summary.md", "a", encoding="utf-8") as md:
            md.write("\n" + corrections_markdown(tags) + "\n")
        if export_log is not None:
            replies = export(db)
            export_log.write_text("".join(r.to_json() + "\n" for r in replies), encoding="utf-8")
            typer.echo(f"{len(replies)} replies with votes → {export_log}")
    finally:
        db.dispose()
    for t in tags:
        lo, hi = t.interval
        typer.echo(
            f"tags by {t.tagger}: {t.shown} shown in {t.replies} replies, {t.dropped} dropped, "
            f"{t.added} added; precision {t.precision:.1%} (95% CI {lo:.1%}–{hi:.1%})"
        )
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


@app.command("corrections")
def eval_corrections(
    since: Annotated[
        str | None, typer.Option(help="Only corrections and replies from this date on.")
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write the learned table here (for MRI_TAG_TABLE)."),
    ] = None,
) -> None:
    """Learn the imagenet tagger's class -> tag weights from dropped and added tags; replay
    on held-out replies: how many dropped tags would come back, how many kept tags stay."""
    from core.startup import open_database
    from training.correction_report import learn
    from training.corrections import class_names, write_table

    start = since_date(since)
    db = open_database(load_settings().model_copy(update={"startup_timeout_seconds": 0.0}))
    try:
        learned = learn(db, start)
    finally:
        db.dispose()
    b, a = learned.before, learned.after
    typer.echo(f"{learned.replies} imagenet replies; {b.replies} held out for the replay")
    typer.echo(f"{'':24}{'shipped table':>15}{'learned':>10}")
    typer.echo(f"{'dropped tags shown again':24}{b.repeat_rate:>15.1%}{a.repeat_rate:>10.1%}")
    typer.echo(f"{'kept tags still shown':24}{b.kept_rate:>15.1%}{a.kept_rate:>10.1%}")
    if b.dropped == 0:
        typer.echo("(no dropped tag in the held-out half yet: nothing to compare)")
    if write is not None:
        write_table(learned.table, class_names(), write)
        typer.echo(f"learned table → {write} (serve it: MRI_TAG_TABLE={write})")


@app.command("replay")
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

    settings = load_settings(quiet=True)
    replies = read_log(log) if log else None  # a bad log is reported before the catalog loads
    cat = load_catalog(catalog or settings.catalog_dir)
    if replies is None:
        replies = synthetic_log(cat, replies=synthetic, seed=seed)
        if write_log is not None:
            write_log.write_text("".join(r.to_json() + "\n" for r in replies), encoding="utf-8")
    result = replay(cat, replies, strength=strength, prior=prior, progress=True)
    typer.echo(result.table())
