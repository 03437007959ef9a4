"""Votes (👍 +1 / 👎 -1, one per user per item, changeable) and the numbers `mri status` shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Chat, RecommendedItem, Request, User, Vote, WorkerBeat, utcnow
from core.errors import DuplicateVote, NotAllowed, UnknownItem


def check_item_chat(session: Session, *, item_id: int, platform: str, chat_id: str) -> None:
    """UnknownItem for an item in no reply; NotAllowed when it was shown in another chat."""
    row = session.execute(
        select(Chat.platform, Chat.external_id)
        .join(Request, Request.chat_id == Chat.id)
        .join(RecommendedItem, RecommendedItem.request_id == Request.id)
        .where(RecommendedItem.id == item_id)
    ).first()
    if row is None:
        raise UnknownItem(f"no recommended item {item_id}")
    if tuple(row) != (platform, chat_id):
        raise NotAllowed("this song was recommended in another chat")


def current_vote(session: Session, *, platform: str, user_id: str, item_id: int) -> int:
    """The user's vote on an item: +1, -1 or 0 (none)."""
    value = session.scalar(
        select(Vote.value)
        .join(User, User.id == Vote.user_id)
        .where(Vote.item_id == item_id, User.platform == platform, User.external_id == user_id)
    )
    return int(value or 0)


def record_vote(session: Session, *, user_id: int, item_id: int, value: int) -> int:
    """Set the user's vote on an item to +1 or -1, or remove it with 0. Returns the new value.

    Raises UnknownItem for an item that does not exist, DuplicateVote when nothing changes."""
    if value not in (-1, 0, 1):
        raise ValueError("a vote is +1, -1 or 0 (remove)")
    if session.get(RecommendedItem, item_id) is None:
        raise UnknownItem(f"no recommended item {item_id}")
    vote = session.scalar(select(Vote).where(Vote.item_id == item_id, Vote.user_id == user_id))
    if vote is None:
        if value == 0:
            raise DuplicateVote("there is no vote to remove")
        session.add(Vote(item_id=item_id, user_id=user_id, value=value))
    elif value == 0:
        session.delete(vote)
    elif vote.value == value:
        raise DuplicateVote("the same vote was already recorded")
    else:
        vote.value = value
        vote.updated_at = utcnow()
    session.flush()
    return value


VoteMode = Literal["toggle", "set", "unset"]


def change_vote(
    session: Session, *, user_id: int, item_id: int, value: int, mode: VoteMode = "toggle"
) -> tuple[int, int]:
    """Decide and store a vote in the caller's transaction; returns (before, after), each +1,
    -1 or 0 (none). `toggle` (a button): the same value again removes the vote, the other one
    changes it. `set` (a reaction added): the vote becomes `value`. `unset` (a reaction
    removed): the vote goes only if it is `value` (an older, replaced reaction changes nothing).

    The person's user row is locked first (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serialises writers), so two taps at the same moment are decided
    one after the other, each seeing the other's result."""
    if value not in (-1, 1):
        raise ValueError("a vote is +1 or -1")
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    if session.get(RecommendedItem, item_id) is None:
        raise UnknownItem(f"no recommended item {item_id}")
    vote = session.scalar(select(Vote).where(Vote.item_id == item_id, Vote.user_id == user_id))
    before = vote.value if vote is not None else 0
    if mode == "toggle":
        after = 0 if before == value else value
    elif mode == "set":
        after = value
    else:
        after = 0 if before == value else before
    if after == before:
        return before, after
    if vote is None:
        session.add(Vote(item_id=item_id, user_id=user_id, value=after))
    elif after == 0:
        session.delete(vote)
    else:
        vote.value, vote.updated_at = after, utcnow()
    session.flush()
    return before, after


def vote_totals(session: Session, *, request_id: int) -> dict[int, tuple[int, int]]:
    """item id -> (up votes, down votes) for the items of one reply."""
    rows = session.execute(
        select(Vote.item_id, Vote.value, func.count())
        .join(RecommendedItem, RecommendedItem.id == Vote.item_id)
        .where(RecommendedItem.request_id == request_id)
        .group_by(Vote.item_id, Vote.value)
    ).all()
    totals: dict[int, tuple[int, int]] = {}
    for item_id, value, count in rows:
        up, down = totals.get(item_id, (0, 0))
        totals[item_id] = (up + count, down) if value > 0 else (up, down + count)
    return totals


@dataclass(frozen=True)
class Stats:
    """What `mri status` and `/stats` print."""

    queued: int
    running: int
    done_last_hour: int
    failed_last_hour: int
    workers_alive: int
    last_error: str | None
    requests_total: int
    votes_up: int
    votes_down: int
    worker_taggers: tuple[str, ...] = ()  # what live workers tag with ('imagenet (fallback …)')


def stats(session: Session, *, now: dt.datetime | None = None, alive_within: float = 30.0) -> Stats:
    now = now or utcnow()
    hour = now - dt.timedelta(hours=1)

    def count(*where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(Request).where(*where)) or 0)

    votes: dict[int, int] = {
        int(v): int(n)
        for v, n in session.execute(select(Vote.value, func.count()).group_by(Vote.value))
    }
    last_error = session.scalar(
        select(Request.error)
        .where(Request.status == "failed")
        .order_by(Request.finished_at.desc())
        .limit(1)
    )
    alive = session.scalar(
        select(func.count())
        .select_from(WorkerBeat)
        .where(WorkerBeat.last_seen >= now - dt.timedelta(seconds=alive_within))
    )
    taggers = session.scalars(
        select(WorkerBeat.tagger)
        .where(WorkerBeat.last_seen >= now - dt.timedelta(seconds=alive_within))
        .distinct()
    ).all()
    return Stats(
        queued=count(Request.status == "queued"),
        running=count(Request.status == "running"),
        done_last_hour=count(Request.status == "done", Request.finished_at >= hour),
        failed_last_hour=count(Request.status == "failed", Request.finished_at >= hour),
        workers_alive=int(alive or 0),
        last_error=last_error,
        requests_total=count(),
        votes_up=int(votes.get(1, 0)),
        votes_down=int(votes.get(-1, 0)),
        worker_taggers=tuple(sorted(t for t in taggers if t)),
    )
