"""Getting a finished job's reply into its chat at least once, and visibly once.

    claim (lease) ──► send or edit ──► confirm (delivered_at)
        ▲                 │ fails, or the process dies
        └─ lease over ────┘ (any adapter of the platform may claim it again)

`reply_ref` names the chat message that holds (or will hold) the answer: a placeholder the
adapter showed, or the answer itself once sent. A retry edits that message instead of sending
a second one, so a process that dies after sending and before confirming repeats the edit
(invisible) rather than the message.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.db.models import Chat, Request, utcnow
from core.domain import DeliveryClaim

ENDED = ("done", "failed", "expired")
MAX_ATTEMPTS = 6  # then the reply is given up (logged with its last error)


def set_reply_ref(session: Session, *, job_id: str, reply_ref: str) -> None:
    """Remember the message shown for a job that has no answer yet (a placeholder)."""
    session.execute(
        update(Request)
        .where(Request.job_id == job_id, Request.delivered_at.is_(None))
        .values(reply_ref=reply_ref)
    )


def claim(
    session: Session, *, job_id: str, lease_seconds: float, now: dt.datetime | None = None
) -> DeliveryClaim | None:
    """The delivery of a finished job, for `lease_seconds`; None when it is delivered, not
    finished, given up, or claimed by someone whose lease still runs. One UPDATE ... RETURNING.
    A claim that never came back (its holder died, or crashed on it) counts as an attempt: after
    MAX_ATTEMPTS of them the reply is not claimed again."""
    now = now or utcnow()
    row = session.execute(
        update(Request)
        .where(
            Request.job_id == job_id,
            Request.delivered_at.is_(None),
            Request.status.in_(ENDED),
            Request.delivery_attempts < MAX_ATTEMPTS,
            or_(Request.delivery_lease_until.is_(None), Request.delivery_lease_until < now),
        )
        .values(
            delivery_lease_until=now + dt.timedelta(seconds=lease_seconds),
            delivery_attempts=Request.delivery_attempts + 1,
        )
        .returning(Request.reply_ref, Request.delivery_attempts),
        execution_options={"synchronize_session": False},
    ).first()
    if row is None:
        return None
    return DeliveryClaim(job_id, row.reply_ref, row.delivery_attempts)


def confirm(session: Session, *, job_id: str, reply_ref: str | None) -> bool:
    """The reply is out (in message `reply_ref`); False if it was already confirmed."""
    values: dict[str, object] = {
        "delivered_at": utcnow(), "delivery_lease_until": None, "delivery_error": None,
    }  # fmt: skip
    if reply_ref is not None:
        values["reply_ref"] = reply_ref
    result = session.execute(
        update(Request)
        .where(Request.job_id == job_id, Request.delivered_at.is_(None))
        .values(**values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release(
    session: Session,
    *,
    job_id: str,
    error: str,
    retry_after: float,
    permanent: bool = False,
    now: dt.datetime | None = None,
) -> bool:
    """A send failed: retry after `retry_after` s (any adapter). A permanent failure (the
    chat is gone, the bot was blocked) or the last attempt gives the reply up; True then."""
    now = now or utcnow()
    attempts = session.scalar(select(Request.delivery_attempts).where(Request.job_id == job_id))
    give_up = permanent or (attempts or 0) >= MAX_ATTEMPTS
    values: dict[str, object] = {"delivery_error": error[:200]}
    if give_up:
        values |= {"delivered_at": now, "delivery_lease_until": None}
    else:
        values["delivery_lease_until"] = now + dt.timedelta(seconds=retry_after)
    session.execute(
        update(Request)
        .where(Request.job_id == job_id, Request.delivered_at.is_(None))
        .values(**values)
    )
    return give_up


def owed(
    session: Session,
    *,
    platform: str,
    older_than: float = 0.0,
    now: dt.datetime | None = None,
    limit: int = 100,
) -> list[str]:
    """Finished jobs of a platform whose reply is not confirmed and not claimed by a live
    lease, finished at least `older_than` s ago (the adapter waiting for a fresh one answers
    it itself; the sweep is for replies nobody waits for any more)."""
    now = now or utcnow()
    rows = session.scalars(
        select(Request.job_id)
        .join(Chat, Chat.id == Request.chat_id)
        .where(
            Chat.platform == platform,
            Request.kind != "inline",  # answered where it was asked, or not at all
            Request.delivered_at.is_(None),
            Request.status.in_(ENDED),
            Request.delivery_attempts < MAX_ATTEMPTS,
            or_(Request.delivery_lease_until.is_(None), Request.delivery_lease_until < now),
            Request.finished_at <= now - dt.timedelta(seconds=older_than),
        )
        .order_by(Request.created_at)
        .limit(limit)
    ).all()
    return list(rows)
