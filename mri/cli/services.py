"""`mri worker`, `mri run` and `mri status`: the long-running processes and their health."""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer

from mri.cli.context import load_settings

log = logging.getLogger("mri")


def worker(
    workers: Annotated[int, typer.Option(min=1, max=32, help="Worker processes.")] = 1,
) -> None:
    """Run the recommender worker(s): consume jobs until SIGTERM (graceful) or SIGINT."""
    from core.worker import run_worker

    run_worker(load_settings(), workers)


def run(
    workers: Annotated[int, typer.Option(min=1, max=32, help="Worker processes.")] = 1,
    grace: Annotated[float, typer.Option(help="Seconds children get to stop.")] = 30.0,
) -> None:
    """Worker(s) and every bot with a token, under one supervisor that restarts crashed children
    and shuts everything down cleanly on SIGTERM/SIGINT."""
    from mri.supervisor import Child, Supervisor, mri_command

    settings = load_settings()
    children = [Child("worker", mri_command("worker", "--workers", str(workers)))]
    if settings.telegram_token is not None:
        children.append(Child("telegram", mri_command("bot", "telegram")))
    if settings.discord_token is not None:
        children.append(Child("discord", mri_command("bot", "discord")))
    bots = [c.name for c in children[1:]] or ["none: set MRI_TELEGRAM_TOKEN / MRI_DISCORD_TOKEN"]
    log.info("supervising worker ×%d, bots: %s", workers, ", ".join(bots))
    supervisor = Supervisor(children, settings.data_dir / "run.json", grace=grace)
    raise typer.Exit(supervisor.run())


def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Queue depth, workers alive, jobs done/failed in the last hour, last error."""
    from dataclasses import asdict

    from core.queue import JobQueue
    from core.service import RecommendService
    from core.startup import open_database
    from core.tagging.factory import faces_problem, missing_weights

    settings = load_settings()
    once = settings.model_copy(update={"startup_timeout_seconds": 0.0})  # a person is waiting
    # The queue is not checked: a Redis that is down shows as "unreachable" in the report.
    service = RecommendService(settings, open_database(once), JobQueue(settings))
    try:
        st = service.status()
    finally:
        service.db.dispose()
    data = {"queue": st.queue_kind, "queue_pending": st.queue_pending, **asdict(st.stats)}
    missing = missing_weights(settings.tagger, settings)  # a file check, loads nothing
    data |= {"tagger": settings.tagger, "tagger_missing_weights": missing}
    problem = faces_problem(settings)
    data["faces"] = "off" if not settings.faces else f"unavailable: {problem}" if problem else "on"
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
    typer.echo(tagger_status(settings.tagger, missing, st.stats.worker_taggers))
    typer.echo(f"faces: {data['faces']}")


def tagger_status(configured: str, missing: dict[str, str], workers: tuple[str, ...]) -> str:
    """'tagger: clip (workers: imagenet (fallback for clip))' and why, when weights are missing."""
    from core.tagging.factory import OFFLINE_DEFAULT

    line = f"tagger: {configured}" + (f" (workers: {', '.join(workers)})" if workers else "")
    for kind, reason in missing.items():
        if configured == "ensemble":
            line += f"\n  the ensemble runs without {kind}: {reason}"
        else:
            line += f"\n  workers fall back to {OFFLINE_DEFAULT}: {reason}"
    return line
