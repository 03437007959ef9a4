"""Learning from votes: the report's numbers, interleaving credit, and vote-aware re-ranking,
on a database seeded through the real service and job runner."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select
from typer.testing import CliRunner

from core.config import RESOURCES, Settings
from core.db.database import Database
from core.db.models import Request
from core.domain import TagWeight
from core.feedback import VoteEvent, VoteStats, rerank
from core.interleave import team_draft, winner
from core.pipeline import Pipeline
from core.playlist import Contribution, blend
from core.service import RecommendService
from core.worker import JobRunner
from mri.cli import app
from training.feedback_report import build_report, wilson, write_report
from training.vote_replay import export_log, replay, synthetic_log

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_settings(Settings())


class Seeded:
    def __init__(self, service: RecommendService, runner: JobRunner) -> None:
        self.service, self.runner = service, runner

    async def text_job(
        self, text: str, user: str = "u1", chat: str = "c1", kind: str = "private"
    ) -> str:
        job = await self.service.submit_text(
            platform="telegram", chat_id=chat, chat_kind=kind, user_id=user, text=text
        )
        huey = self.service.queue.huey

        def drain() -> None:
            while (task := huey.dequeue()) is not None:
                huey.execute(task)

        await asyncio.to_thread(drain)
        await self.service.wait(job)
        return job

    async def items(self, job: str) -> list[int]:
        result = await self.service.result(job)
        return [i.item_id for i in result.items]

    async def vote(self, user: str, item: int, value: int, chat: str = "c1") -> None:
        await self.service.record_vote(
            platform="telegram", user_id=user, item_id=item, value=value, chat_id=chat
        )


@pytest_asyncio.fixture
async def seeded(tmp_path: Path, pipeline: Pipeline) -> AsyncIterator[Seeded]:
    settings = Settings(data_dir=tmp_path / "var", vote_stats_ttl_seconds=0.0)
    service = RecommendService.from_settings(settings)
    runner = JobRunner(settings, Database(settings.resolved_database_url), service.queue, pipeline)
    service.queue.set_handler(runner.run)
    yield Seeded(service, runner)
    runner.db.dispose()
    await service.aclose()


def test_wilson_interval_matches_the_textbook() -> None:
    lo, hi = wilson(8, 10)  # p̂ = 0.8, n = 10, z = 1.96 → (0.490, 0.943)
    assert round(lo, 3) == 0.490 and round(hi, 3) == 0.943
    assert wilson(0, 0) == (0.0, 1.0)


async def test_report_numbers_match_a_hand_count(seeded: Seeded, tmp_path: Path) -> None:
    a = await seeded.text_job("여름 바다", user="u1", chat="c1")
    b = await seeded.text_job("비 오는 날 카페", user="u2", chat="g1", kind="group")
    ia, ib = await seeded.items(a), await seeded.items(b)
    # rank 1: 3 likes, 1 dislike; rank 2: 0 likes, 2 dislikes; one whole-list like
    await seeded.vote("u1", ia[0], 1)
    await seeded.vote("u2", ia[0], 1)
    await seeded.vote("u3", ia[0], -1)
    await seeded.vote("u1", ia[1], -1)
    await seeded.vote("u2", ib[0], 1, chat="g1")
    await seeded.vote("u3", ib[1], -1, chat="g1")
    await seeded.vote("u3", ib[1], 1, chat="g1")  # changed: counts once, as a like
    await seeded.vote("u4", ib[1], -1, chat="g1")
    whole = (await seeded.service.result(a)).list_item_id
    assert whole is not None
    await seeded.vote("u1", whole, 1)

    report = build_report(seeded.runner.db)
    overall = report.overall
    assert (overall.likes, overall.dislikes) == (4, 3)  # whole-list votes are reported apart
    by_rank = {r.group: (r.likes, r.dislikes) for r in report.by["rank"]}
    assert by_rank == {"1": (3, 1), "2": (1, 2)}
    by_kind = {r.group: (r.likes, r.dislikes) for r in report.by["chat_kind"]}
    assert by_kind == {"private": (2, 2), "group": (2, 1)}
    assert [(r.likes, r.dislikes) for r in report.by["whole list"]] == [(1, 0)]
    assert report.by["tagger"][0].group == "text"
    lo, hi = overall.interval
    assert (lo, hi) == wilson(4, 7)

    out = tmp_path / "report"
    write_report(seeded.runner.db, out)
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "**7 votes on songs, like-rate 57.1%" in md
    assert {p.name for p in out.glob("*.png")} == {
        "like_rate_by_rank.png", "like_rate_by_tagger.png", "votes_per_day.png"
    }  # fmt: skip
    assert "<table>" in (out / "summary.html").read_text(encoding="utf-8")
    log = export_log(seeded.runner.db)  # the same votes as a replayable log
    assert [sorted(v for _, v in r.votes) for r in log] == [[-1, -1, 1, 1], [-1, 1, 1]]
    assert log[0].tags and len(log[1].truth()) == 2  # without a known truth: the liked songs


def test_the_report_renders_from_an_empty_database(tmp_path: Path) -> None:
    env = {"MRI_DATA_DIR": str(tmp_path / "var")}
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["eval", "feedback", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "No votes yet" in result.output
    assert "No votes yet" in (out / "summary.md").read_text(encoding="utf-8")
    assert not list(out.glob("*.png"))


async def test_interleaving_credit_and_verdict(seeded: Seeded) -> None:
    """Replies that interleaved taggers A and B: A's songs get the likes, so A wins."""
    db = seeded.runner.db
    for n in range(12):
        job = await seeded.text_job(f"여름 바다 {n}", user=f"u{n}")
        with db.transaction() as s:  # what an A/B worker stores: tagger "A|B", item sources
            req = s.scalars(select(Request).where(Request.job_id == job)).one()
            req.tagger = "clip|imagenet"
            for item in req.items:
                if item.rank > 0:
                    item.reasons = {
                        **item.reasons,
                        "source": "clip" if item.rank % 2 else "imagenet",
                    }
        ids = await seeded.items(job)
        if n < 10:  # like a clip song (rank 1), dislike an imagenet song (rank 2)
            await seeded.vote(f"u{n}", ids[0], 1)
            await seeded.vote(f"u{n}", ids[1], -1)
        elif n == 10:  # imagenet wins this one
            await seeded.vote(f"u{n}", ids[1], 1)
        else:  # one like each: a tie
            await seeded.vote(f"u{n}", ids[0], 1)
            await seeded.vote(f"u{n}", ids[1], 1)
    report = build_report(db)
    (x,) = report.interleaving
    assert x.teams == ("clip", "imagenet") and x.wins == (10, 1) and x.ties == 1
    assert x.leader == "clip" and x.p_value == pytest.approx(0.01171875)  # 2·P(X ≤ 1 | 11, ½)


def test_team_draft_credits_each_pick_to_its_team() -> None:
    a, b = ["s1", "s2", "s3", "s4"], ["s2", "s5", "s1", "s6"]
    drafted = team_draft(a, b, 6, key=str, teams=("A", "B"), rng=random.Random(3))
    items = [d.item for d in drafted]
    assert len(items) == len(set(items)) == 6
    assert all(d.item in (a if d.team == "A" else b) for d in drafted)
    counts = {t: sum(d.team == t for d in drafted) for t in "AB"}
    assert counts == {"A": 3, "B": 3}  # each round both teams pick once
    assert winner([("A", 1), ("B", 1), ("A", 1)], ("A", "B")) == "A"
    assert winner([("A", 1), ("B", 1)], ("A", "B")) is None


def test_shrinkage_one_vote_moves_a_little_many_move_a_lot(pipeline: Pipeline) -> None:
    tags = [TagWeight("바다", 1.0)]
    songs = list(pipeline.recommender.recommend(tags, 30))
    target = songs[20].song.id
    one = VoteStats.of([VoteEvent((("바다", 1.0),), target, 1)])
    many = VoteStats.of([VoteEvent((("바다", 1.0),), target, 1)] * 8)
    rank_one = [s.song.id for s in rerank(songs, tags, one)].index(target)
    rank_many = [s.song.id for s in rerank(songs, tags, many)].index(target)
    assert 0 <= rank_many < rank_one < 20
    disliked = VoteStats.of([VoteEvent((("바다", 1.0),), songs[0].song.id, -1)] * 8)
    assert [s.song.id for s in rerank(songs, tags, disliked)].index(songs[0].song.id) > 0
    unrelated = VoteStats.of([VoteEvent((("겨울", 1.0),), target, 1)] * 8)  # other tags
    assert [s.song.id for s in rerank(songs, tags, unrelated)] == [s.song.id for s in songs]


async def test_liked_songs_rise_in_the_next_reply(seeded: Seeded) -> None:
    first = await seeded.service.result(await seeded.text_job("여름 바다"))
    last = first.items[-1]
    for n in range(6):  # six people in this chat like the 10th song
        await seeded.vote(f"u{n}", last.item_id, 1)
    again = await seeded.service.result(await seeded.text_job("여름 바다"))
    ranks = {i.song_id: i.rank for i in again.items}
    assert ranks.get(last.song_id, 99) < last.rank


def test_group_blend_leans_to_members_past_likes(pipeline: Pipeline) -> None:
    rec = pipeline.recommender
    tags = (TagWeight("카페", 1.0),)
    deep = list(rec.recommend(tags, 30))[25].song.id  # not in a plain 10-song blend
    members = [
        Contribution("민지", tags, "1"),
        Contribution("준호", (TagWeight("바다", 1.0),), "2"),
    ]
    plain = [s.song.id for s, _ in blend(rec, members, 10)]
    stats = VoteStats.of([VoteEvent((("카페", 1.0),), deep, 1, user="1")] * 5)

    def adjust(c: Contribution, songs: list):  # type: ignore[no-untyped-def, type-arg]
        return rerank(songs, c.tags, stats, user=c.key)

    leaning = blend(rec, members, 10, adjust)
    assert deep not in plain and (deep, "민지") in [(s.song.id, c.user) for s, c in leaning]


def test_replaying_a_synthetic_vote_log_improves_the_top_ten(pipeline: Pipeline) -> None:
    log = synthetic_log(pipeline.catalog, replies=200, seed=1)
    result = replay(pipeline.catalog, log)
    assert 90 <= result.replies <= 100  # the second half, less replies with no good song
    assert result.ndcg_after > result.ndcg_before + 0.1
    assert result.precision_after > result.precision_before
    off = replay(pipeline.catalog, log, strength=0.0)
    assert off.ndcg_after == pytest.approx(off.ndcg_before)


async def test_an_ab_worker_interleaves_two_taggers_and_the_report_credits_them(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    settings = Settings(
        data_dir=tmp_path / "var", ab_taggers="imagenet,ensemble", ensemble_taggers="imagenet:1.0"
    )
    service = RecommendService.from_settings(settings)
    runner = JobRunner(settings, Database(settings.resolved_database_url), service.queue, pipeline)
    service.queue.set_handler(runner.run)
    seeded = Seeded(service, runner)
    try:
        job = await service.submit_photo(
            platform="telegram", chat_id="c1", chat_kind="private", user_id="u1",
            photo=(RESOURCES / "demo/beach.jpg").read_bytes(),
        )  # fmt: skip
        huey = service.queue.huey
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
        result = await service.wait(job)
        assert result.status == "done" and result.tagger == "imagenet|ensemble"
        assert len(result.items) == 10
        with runner.db.reader() as s:
            req = s.scalars(select(Request).where(Request.job_id == job)).one()
            sources = {i.rank: i.reasons.get("source") for i in req.items if i.rank > 0}
        assert set(sources.values()) == {"imagenet", "ensemble"}
        team = {i.item_id: sources[i.rank] for i in result.items}
        for item, source in team.items():  # people like what "ensemble" placed
            await seeded.vote("u1", item, 1 if source == "ensemble" else -1)
        (x,) = build_report(runner.db).interleaving
        assert x.teams == ("imagenet", "ensemble") and x.wins == (0, 1)
    finally:
        runner.db.dispose()
        await service.aclose()
