"""The job state machine in the `requests` table: the database, not the queue, is the truth.

    queued ──claim──► running ──complete──► done
       ▲                 │ ──fail(final)──► failed
       └──release/requeue┘ (error, or lease expired: the worker died)
    queued/running older than the expiry ──► expired

A job runs at least once; `claim` is a compare-and-set, so a second run of a finished job is a
no-op. Getting the reply into the chat is core/db/delivery.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from core.db.models import Chat, RecommendedItem, Request, User, utcnow

LIST_ITEM = "list"  # song_id of the rank-0 item: a vote on the whole reply


@dataclass(frozen=True)
class Claim:
    claimed: bool
    status: str  # the status found when not claimed (done, failed, running, expired, missing)
    attempts: int = 0
    kind: str = ""
    query_text: str | None = None
    session_id: int | None = None
    chat_pk: int | None = None  # row ids, for per-chat and per-user vote re-ranking
    user_pk: int | None = None
    parts: list[dict[str, Any]] | None = None  # albums: photos refused before the worker


def create_request(
    session: Session,
    *,
    job_id: str,
    kind: str,
    chat_id: int,
    user_id: int | None,
    message_ref: str | None = None,
    photo_sha256: str | None = None,
    query_text: str | None = None,
    session_id: int | None = None,
    parts: list[dict[str, Any]] | None = None,
) -> Request:
    now = utcnow()
    req = Request(
        job_id=job_id,
        kind=kind,
        chat_id=chat_id,
        user_id=user_id,
        message_ref=message_ref,
        photo_sha256=photo_sha256,
        query_text=query_text,
        session_id=session_id,
        parts=parts,
        status="queued",
        enqueued_at=now,
        created_at=now,
    )
    session.add(req)
    session.flush()
    return req


def job_for_message(
    session: Session, *, platform: str, chat_id: str, message_ref: str, kind: str
) -> str | None:
    """The job already made from this chat message, if any: a chat platform may hand the same
    update over twice (the adapter died before acknowledging it), and it becomes one job."""
    return session.scalar(
        select(Request.job_id)
        .join(Chat, Chat.id == Request.chat_id)
        .where(
            Chat.platform == platform,
            Chat.external_id == chat_id,
            Request.message_ref == message_ref,
            Request.kind == kind,
        )
        .limit(1)
    )


def get_request(session: Session, job_id: str) -> Request | None:
    return session.scalar(select(Request).where(Request.job_id == job_id))


def claim(
    session: Session, *, job_id: str, lease_seconds: float, now: dt.datetime | None = None
) -> Claim:
    """Take a queued job, or a running one whose lease ran out (its worker died).

    One UPDATE ... RETURNING (SQLite >= 3.35, PostgreSQL): the claim and the job's inputs in
    a single round trip."""
    now = now or utcnow()
    row = session.execute(
        update(Request)
        .where(
            Request.job_id == job_id,
            or_(
                Request.status == "queued",
                (Request.status == "running") & (Request.lease_until < now),
            ),
        )
        .values(
            status="running",
            attempts=Request.attempts + 1,
            lease_until=now + dt.timedelta(seconds=lease_seconds),
            started_at=now,
        )
        .returning(
            Request.attempts,
            Request.kind,
            Request.query_text,
            Request.session_id,
            Request.chat_id,
            Request.user_id,
            Request.parts,
        ),
        execution_options={"synchronize_session": False},
    ).first()
    if row is not None:
        return Claim(
            True, "running", row.attempts, row.kind, row.query_text, row.session_id,
            row.chat_id, row.user_id, row.parts,
        )  # fmt: skip
    found = session.execute(
        select(Request.status, Request.attempts).where(Request.job_id == job_id)
    ).first()
    return Claim(False, found.status, found.attempts) if found else Claim(False, "missing")


def complete(
    session: Session,
    *,
    job_id: str,
    tags: list[dict[str, Any]],
    tagger: str,
    tagger_version: str,
    catalog_version: str,
    items: Sequence[dict[str, Any]],
    latency_ms: int,
    parts: list[dict[str, Any]] | None = None,
    evidence: dict[str, Any] | None = None,
) -> bool:
    """Store the answer of a running job; False if the job is no longer ours (expired, done).
    `evidence`: what the tagger saw besides tags (never the photo)."""
    request_pk = session.scalar(
        update(Request)
        .where(Request.job_id == job_id, Request.status == "running")
        .values(
            status="done",
            tags=tags,
            tagger=tagger,
            tagger_version=tagger_version,
            catalog_version=catalog_version,
            latency_ms=latency_ms,
            evidence=evidence,
            finished_at=utcnow(),
            lease_until=None,
            error=None,
            **({"parts": parts} if parts is not None else {}),
        )
        .returning(Request.id),
        execution_options={"synchronize_session": False},
    )
    if request_pk is None:
        return False
    if items:
        rows = [
            {
                "request_id": request_pk,
                "rank": rank,
                "song_id": item["id"],
                "score": float(item["score"]),
                "reasons": item["reasons"],
                "song": item["song"],
            }
            for rank, item in enumerate(items, 1)
        ]
        # Rank 0 stands for the whole list, so "👍 for the list" is a vote like any other.
        whole = {"rank": 0, "song_id": LIST_ITEM, "score": 0.0, "reasons": {}, "song": {}}
        session.execute(insert(RecommendedItem), [{"request_id": request_pk, **whole}, *rows])
    return True


def fail(
    session: Session, *, job_id: str, error: str, parts: list[dict[str, Any]] | None = None
) -> None:
    """Final failure: no answer will come (an album's `parts` say why for each photo)."""
    values: dict[str, Any] = {
        "status": "failed", "error": error[:200], "finished_at": utcnow(), "lease_until": None,
    }  # fmt: skip
    if parts is not None:
        values["parts"] = parts
    session.execute(
        update(Request)
        .where(Request.job_id == job_id, Request.status.in_(("queued", "running")))
        .values(**values)
    )


def release(session: Session, *, job_id: str, error: str) -> None:
    """A transient error: put the job back to queued so its retry can claim it."""
    session.execute(
        update(Request)
        .where(Request.job_id == job_id, Request.status == "running")
        .values(status="queued", error=error[:200], lease_until=None)
    )


def due_for_requeue(
    session: Session, *, stale_after: float, now: dt.datetime | None = None, limit: int = 500
) -> list[str]:
    """Jobs whose worker died (lease over) or whose queue message may be lost (queued for
    longer than `stale_after` s). Their enqueue time is reset, so each is re-sent once."""
    now = now or utcnow()
    stale = now - dt.timedelta(seconds=stale_after)
    rows = session.scalars(
        select(Request.job_id)
        .where(
            or_(
                (Request.status == "running") & (Request.lease_until < now),
                (Request.status == "queued") & (Request.enqueued_at < stale),
            )
        )
        .order_by(Request.created_at)
        .limit(limit)
    ).all()
    if rows:
        session.execute(update(Request).where(Request.job_id.in_(rows)).values(enqueued_at=now))
    return list(rows)


def expire(session: Session, *, older_than: float, now: dt.datetime | None = None) -> list[str]:
    """Give up on unfinished jobs created more than `older_than` seconds ago."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=older_than)
    rows = session.scalars(
        select(Request.job_id).where(
            Request.status.in_(("queued", "running")), Request.created_at < cutoff
        )
    ).all()
    if rows:
        session.execute(
            update(Request)
            .where(Request.job_id.in_(rows))
            .values(status="expired", error="expired", finished_at=now, lease_until=None)
        )
    return list(rows)


def finished(session: Session, job_ids: Sequence[str]) -> dict[str, str]:
    """job_id -> final status, for those of `job_ids` that have ended."""
    if not job_ids:
        return {}
    rows = session.execute(
        select(Request.job_id, Request.status).where(
            Request.job_id.in_(job_ids), Request.status.in_(("done", "failed", "expired"))
        )
    ).all()
    return {j: s for j, s in rows}


def unfinished_members(session: Session, *, session_id: int) -> int:
    """Photos of a playlist session still queued or running (a blend waits for them)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Request)
            .where(
                Request.session_id == session_id,
                Request.kind == "photo",
                Request.status.in_(("queued", "running")),
            )
        )
        or 0
    )


def playlist_members(session: Session, *, session_id: int | None) -> list[Any]:
    """The finished photos of a playlist session, oldest first: (tags, member's name or id,
    user row id, chat row id)."""
    return list(
        session.execute(
            select(
                Request.tags,
                func.coalesce(User.display_name, User.external_id),
                Request.user_id,
                Request.chat_id,
            )
            .join(User, User.id == Request.user_id)
            .where(
                Request.session_id == session_id,
                Request.kind == "photo",
                Request.status == "done",
            )
            .order_by(Request.created_at)
        ).all()
    )


def live_jobs(session: Session, job_ids: Sequence[str]) -> set[str]:
    """Those of `job_ids` that are queued or running: their photos are still needed."""
    if not job_ids:
        return set()
    rows = session.scalars(
        select(Request.job_id).where(
            Request.job_id.in_(job_ids), Request.status.in_(("queued", "running"))
        )
    )
    return set(rows)
