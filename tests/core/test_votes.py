"""Votes decided in one transaction: add, change, remove, and two taps of one person at the
same moment on SQLite and PostgreSQL (exactly one state results, each tap told the truth)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from core.config import Settings
from core.db import jobs, people
from core.db.results import load_result
from core.domain import VoteOutcome
from core.errors import NotAllowed, UnknownItem
from core.service import RecommendService

SONGS = 25


def song(n: int) -> dict[str, object]:
    shown = {"title": f"노래 {n}", "artists": ["가수"], "melon_search_url": "https://m"}
    return {"id": f"named:{n}", "score": 1.0, "reasons": {"because": ["바다"]}, "song": shown}


@pytest_asyncio.fixture
async def service(backend_settings: Settings) -> AsyncIterator[RecommendService]:
    svc = RecommendService.from_settings(backend_settings)
    yield svc
    await svc.aclose()


def finished_reply(service: RecommendService, chat: str = "c1") -> tuple[str, list[int], int]:
    """A done job with SONGS songs (written as a worker would): (job id, song item ids, list
    item id)."""
    job = str(uuid.uuid4())
    with service.db.transaction() as s:
        user = people.get_or_create_user(s, platform="test", external_id="asker")
        room = people.get_or_create_chat(s, platform="test", external_id=chat, kind="group")
        jobs.create_request(s, job_id=job, kind="text", chat_id=room.id, user_id=user.id)
    with service.db.transaction() as s:
        assert jobs.claim(s, job_id=job, lease_seconds=60).claimed
        jobs.complete(
            s, job_id=job, tags=[], tagger="t", tagger_version="1", catalog_version="c",
            items=[song(n) for n in range(SONGS)], latency_ms=1,
        )  # fmt: skip
    with service.db.reader() as s:
        loaded = load_result(s, job)
    assert loaded.list_item_id is not None
    return job, [i.item_id for i in loaded.items], loaded.list_item_id


def tap(service: RecommendService, item: int, value: int, who: str = "p1", chat: str = "c1"):  # type: ignore[no-untyped-def]
    return service.toggle_vote(
        platform="test", user_id=who, item_id=item, value=value, chat_id=chat
    )


async def test_a_button_adds_changes_and_removes(service: RecommendService) -> None:
    job, items, whole = finished_reply(service)
    first = await tap(service, items[0], 1)
    assert (first.previous, first.value) == (0, 1) and first.totals[items[0]] == (1, 0)
    assert first.result.job_id == job and [i.item_id for i in first.result.items] == items
    changed = await tap(service, items[0], -1)
    assert (changed.previous, changed.value) == (1, -1) and changed.totals[items[0]] == (0, 1)
    removed = await tap(service, items[0], -1)
    assert (removed.previous, removed.value) == (-1, 0) and items[0] not in removed.totals
    other = await tap(service, whole, 1, who="p2")
    assert other.totals[whole] == (1, 0)
    with pytest.raises(NotAllowed):
        await tap(service, items[1], 1, chat="elsewhere")
    with pytest.raises(UnknownItem):
        await tap(service, 10**9, 1)


async def test_reactions_set_and_unset(service: RecommendService) -> None:
    _, _, whole = finished_reply(service)

    def react(value: int, added: bool):  # type: ignore[no-untyped-def]
        return service.react_vote(
            platform="test", user_id="p1", item_id=whole, value=value, added=added, chat_id="c1"
        )

    assert (await react(1, True)).value == 1
    assert (await react(1, True)).changed is False  # the same reaction again: nothing new
    assert (await react(-1, True)).value == -1  # the other one changes it
    stale = await react(1, False)  # taking back the replaced 👍 changes nothing
    assert (stale.previous, stale.value) == (-1, -1)
    assert (await react(-1, False)).value == 0


def chained(outcomes: list[VoteOutcome]) -> list[VoteOutcome]:
    """The two outcomes in the order the database decided them; fails when they do not form
    one history (each tap saw the state the other one left)."""
    first = [o for o in outcomes if o.previous == 0]
    assert len(first) == 1, [(o.previous, o.value) for o in outcomes]
    second = next(o for o in outcomes if o is not first[0])
    assert second.previous == first[0].value, [(o.previous, o.value) for o in outcomes]
    return [first[0], second]


@pytest.mark.parametrize("rounds", [12])
async def test_two_taps_at_the_same_moment_leave_one_state(
    service: RecommendService, rounds: int
) -> None:
    """A person double-taps 👍 (the second tap takes it back), or taps 👍 and 👎 together;
    on PostgreSQL the two transactions really overlap (READ COMMITTED, two connections)."""
    _, items, _ = finished_reply(service)
    for n in range(rounds):
        who = f"tapper{n}"  # a new person each round: their user row is created by a tap, too
        item = items[n]
        values = (1, 1) if n % 2 == 0 else (1, -1)
        outcomes = list(await asyncio.gather(*(tap(service, item, v, who) for v in values)))
        first, last = chained(outcomes)
        now = await service.current_vote(platform="test", user_id=who, item_id=item)
        assert now == last.value  # what the person was told last is what is stored
        assert last.value == (0 if values == (1, 1) else -first.value)
        assert last.totals.get(item, (0, 0)) == {1: (1, 0), -1: (0, 1), 0: (0, 0)}[now]

    # A vote that exists, then 👍 (toggle: remove) and 👎 (change) at once: without the row
    # lock one transaction deletes the row while the other updates it, and the person is told
    # "👎" while nothing is stored.
    for n in range(rounds):
        who, item = f"changer{n}", items[rounds + n]
        await tap(service, item, 1, who)
        outcomes = list(
            await asyncio.gather(tap(service, item, 1, who), tap(service, item, -1, who))
        )
        ordered = sorted(outcomes, key=lambda o: o.previous != 1)
        assert ordered[0].previous == 1, [(o.previous, o.value) for o in outcomes]
        assert ordered[1].previous == ordered[0].value
        now = await service.current_vote(platform="test", user_id=who, item_id=item)
        assert now == ordered[1].value
