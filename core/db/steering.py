"""Steering queries: the reply a tap or a text reply points at, revisions and similar-songs
requests that follow it, and tag corrections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import desc, insert, select
from sqlalchemy.orm import Session

from core.db.models import Chat, RecommendedItem, Request, TagCorrection, User, utcnow
from core.errors import NotAllowed, UnknownItem, UnknownJob


@dataclass(frozen=True)
class Reply:
    """A finished reply someone wants to steer: its request row and who asked it."""

    pk: int
    job_id: str
    kind: str
    root_pk: int  # the reply's first request (the photo or words), which corrections point at
    chat_pk: int
    owner: str | None  # the asker's platform id (None: anonymised)
    owner_pk: int | None
    revision: int
    reply_ref: str | None
    tags: list[Any]
    tagger: str | None


def _reply(session: Session, where: Any, platform: str, chat_id: str) -> Reply:
    row = session.execute(
        select(Request, Chat.platform, Chat.external_id, User.external_id.label("owner"))
        .join(Chat, Chat.id == Request.chat_id)
        .outerjoin(User, User.id == Request.user_id)
        .where(where)
        .order_by(desc(Request.revision), desc(Request.id))
        .limit(1)
    ).first()
    if row is None:
        raise UnknownItem("no such reply")
    req = row[0]
    if (row.platform, row.external_id) != (platform, chat_id):
        raise NotAllowed("this reply was shown in another chat")
    if req.status != "done":
        raise UnknownJob(f"job {req.job_id} has no answer to steer")
    root = req.id
    if req.kind == "revision":
        root = int((req.steer or {}).get("root") or req.parent_id or req.id)
    return Reply(
        req.id, req.job_id, req.kind, root, req.chat_id, row.owner, req.user_id, req.revision,
        req.reply_ref, list(req.tags or []), req.tagger,
    )  # fmt: skip


def reply_of_item(session: Session, *, item_id: int, platform: str, chat_id: str) -> Reply:
    """The reply that shows `item_id` (a song, or the whole-list item of a revision)."""
    pk = session.scalar(select(RecommendedItem.request_id).where(RecommendedItem.id == item_id))
    if pk is None:
        raise UnknownItem(f"no recommended item {item_id}")
    return _reply(session, Request.id == pk, platform, chat_id)


def reply_of_message(session: Session, *, reply_ref: str, platform: str, chat_id: str) -> Reply:
    """The newest revision shown in chat message `reply_ref` (a text reply to the bot)."""
    chat = select(Chat.id).where(Chat.platform == platform, Chat.external_id == chat_id)
    where = (
        (Request.reply_ref == reply_ref)
        & Request.chat_id.in_(chat)
        & (Request.status == "done")
        & Request.kind.in_(("photo", "text", "revision", "similar", "playlist"))
    )
    return _reply(session, where, platform, chat_id)


def song_of_item(session: Session, item_id: int) -> tuple[str, str]:
    """(song id, title as shown) of a song item."""
    row = session.execute(
        select(RecommendedItem.song_id, RecommendedItem.song, RecommendedItem.rank).where(
            RecommendedItem.id == item_id
        )
    ).first()
    if row is None or row.rank == 0:
        raise UnknownItem(f"no song item {item_id}")
    return row.song_id, str((row.song or {}).get("title") or "")


def create_follow_up(
    session: Session,
    *,
    job_id: str,
    kind: str,
    parent: Reply,
    user_pk: int | None,
    chat_pk: int,
    steer: dict[str, Any],
    reply_ref: str | None,
) -> int:
    """A revision (same message: `reply_ref` is the parent's) or a similar-songs request."""
    now = utcnow()
    req = Request(
        job_id=job_id,
        kind=kind,
        chat_id=chat_pk,
        user_id=user_pk,
        parent_id=parent.pk,
        revision=parent.revision + 1 if kind == "revision" else 0,
        steer={**steer, "root": parent.root_pk},
        reply_ref=reply_ref,
        tagger=parent.tagger,
        status="queued",
        enqueued_at=now,
        created_at=now,
    )
    session.add(req)
    session.flush()
    return req.id


@dataclass(frozen=True)
class FollowUp:
    """What a worker needs to compute a revision or similar-songs request."""

    steer: dict[str, Any]
    parent_tags: list[Any]
    tagger: str | None
    root_pk: int | None
    user_pk: int | None


def follow_up(session: Session, job_id: str) -> FollowUp:
    row = session.execute(
        select(Request.steer, Request.parent_id, Request.tagger, Request.user_id).where(
            Request.job_id == job_id
        )
    ).first()
    if row is None:
        raise UnknownJob(f"no job {job_id}")
    steer = dict(row.steer or {})
    tags: list[Any] = []
    if row.parent_id is not None:
        tags = list(session.scalar(select(Request.tags).where(Request.id == row.parent_id)) or [])
    root = steer.get("root")
    return FollowUp(steer, tags, row.tagger, int(root) if root else None, row.user_id)


def add_corrections(
    session: Session,
    *,
    request_pk: int,
    user_pk: int,
    tagger: str,
    dropped: Iterable[str],
    added: Iterable[str],
) -> int:
    rows = [
        {"request_id": request_pk, "user_id": user_pk, "tagger": tagger[:32], "tag": t[:64],
         "action": action, "created_at": utcnow()}
        for action, tags in (("drop", dropped), ("add", added))
        for t in tags
    ]  # fmt: skip
    if rows:
        session.execute(insert(TagCorrection), rows)
    return len(rows)


def finish_revision(
    session: Session,
    *,
    job_id: str,
    dropped: Iterable[str],
    added: Iterable[str],
    notice: str | None,
) -> None:
    """A revision is done: store its corrections (against the reply's first request) and
    what it could not do."""
    req = session.scalar(select(Request).where(Request.job_id == job_id))
    if req is None:
        return
    steer = dict(req.steer or {})
    if notice:
        req.steer = {**steer, "notice": notice[:200]}
    root = int(steer["root"]) if steer.get("root") is not None else None
    alive = root is not None and session.get(Request, root) is not None
    if alive and root is not None and req.user_id is not None:
        add_corrections(
            session, request_pk=root, user_pk=req.user_id, tagger=req.tagger or "?",
            dropped=dropped, added=added,
        )  # fmt: skip


@dataclass(frozen=True)
class CorrectionRow:
    """A correction with the reply it corrects (what `mri eval feedback|corrections` read)."""

    request_pk: int
    tagger: str
    tag: str
    action: str
    at: dt.datetime


def corrections(session: Session, since: dt.datetime | None = None) -> list[CorrectionRow]:
    query = select(
        TagCorrection.request_id, TagCorrection.tagger, TagCorrection.tag,
        TagCorrection.action, TagCorrection.created_at,
    ).order_by(TagCorrection.id)  # fmt: skip
    if since is not None:
        query = query.where(TagCorrection.created_at >= since)
    return [CorrectionRow(*row) for row in session.execute(query).all()]


@dataclass(frozen=True)
class ShownReply:
    """A first reply (photo or words): its tagger, the tags it showed and what it saw."""

    pk: int
    tagger: str
    tags: list[Any]
    evidence: dict[str, Any] | None
    at: dt.datetime


def shown_replies(session: Session, since: dt.datetime | None = None) -> list[ShownReply]:
    """Every finished photo or text reply (the exposure that corrections are counted against)."""
    query = select(
        Request.id, Request.tagger, Request.tags, Request.evidence, Request.created_at
    ).where(Request.kind.in_(("photo", "text")), Request.status == "done")
    if since is not None:
        query = query.where(Request.created_at >= since)
    return [
        ShownReply(pk, tagger or "?", list(tags or []), evidence, at)
        for pk, tagger, tags, evidence, at in session.execute(query).all()
    ]
