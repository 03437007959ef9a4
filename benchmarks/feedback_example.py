"""Writes docs/feedback-example/: a feedback report from a database seeded through the real
service and job runner with simulated people who vote by a hidden taste (see
training/vote_replay.py). Run: `.venv/bin/python -m benchmarks.feedback_example`."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import tempfile
from pathlib import Path

from sqlalchemy import update

from core.config import Settings
from core.db.database import Database
from core.db.models import Vote
from core.pipeline import Pipeline
from core.service import RecommendService
from core.worker import JobRunner
from training.feedback_report import write_report
from training.vote_replay import _good

OUT = Path(__file__).resolve().parents[1] / "docs" / "feedback-example"
QUERIES = [
    "여름 바다",
    "비 오는 날 카페",
    "새벽 감성",
    "겨울 눈",
    "운동 신나는",
    "드라이브",
    "잔잔한 밤",
]


async def main(replies: int = 120, seed: int = 0) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), vote_stats_ttl_seconds=0.0)
        service = RecommendService.from_settings(settings)
        db = Database(settings.resolved_database_url)
        runner = JobRunner(settings, db, service.queue, Pipeline.from_settings(settings))
        service.queue.set_handler(runner.run)
        huey = service.queue.huey
        for n in range(replies):
            group = rng.random() < 0.4
            query = rng.choice(QUERIES)
            job = await service.submit_text(
                platform=rng.choice(["telegram", "discord"]),
                chat_id=f"g{rng.randrange(3)}" if group else f"p{n % 15}",
                chat_kind="group" if group else "private",
                user_id=f"u{n % 15}",
                text=query,
            )
            while (task := huey.dequeue()) is not None:
                huey.execute(task)
            result = await service.wait(job)
            for item in rng.sample(result.items, k=3):  # people vote on a few songs
                like = _good(query, item.song_id, 0.45 - 0.02 * item.rank)
                if rng.random() < 0.1:
                    like = not like
                await service.record_vote(
                    platform=result.platform, user_id=result.user_id, item_id=item.item_id,
                    value=1 if like else -1, chat_id=result.chat_id,
                )  # fmt: skip
        with db.transaction() as s:  # spread the votes over two weeks, for the per-day plot
            start = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
            for vote_id in range(1, replies * 3 + 1):
                when = start + dt.timedelta(hours=vote_id * 14 * 24 // (replies * 3))
                s.execute(update(Vote).where(Vote.id == vote_id).values(updated_at=when))
        report = write_report(db, OUT)
        await service.aclose()
        db.dispose()
    print(f"{report.overall.n} votes → {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
