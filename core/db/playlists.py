"""Group playlist sessions: at most one open per chat; photos join it until it is closed, by a
member or by its deadline (whichever process finds it due first; closing is compare-and-set)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.db import jobs, people
from core.db.models import Chat, PlaylistSession, User, utcnow
from core.domain import ClosedPlaylist
from core.errors import NoOpenPlaylist


def open_session_of(session: Session, chat_pk: int) -> PlaylistSession | None:
    return session.scalar(
        select(PlaylistSession)
        .where(PlaylistSession.chat_id == chat_pk, PlaylistSession.status == "open")
        .order_by(PlaylistSession.created_at.desc())
        .limit(1)
    )


def _chat(session: Session, platform: str, chat_id: str) -> Chat | None:
    return session.scalar(
        select(Chat).where(Chat.platform == platform, Chat.external_id == chat_id)
    )


def open_playlist(
    session: Session,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    window_seconds: float,
    now: dt.datetime | None = None,
) -> int:
    """Start (or return the already open) playlist session of a group chat; it closes by
    itself `window_seconds` after it was opened."""
    now = now or utcnow()
    chat = people.get_or_create_chat(session, platform=platform, external_id=chat_id, kind="group")
    user = people.get_or_create_user(session, platform=platform, external_id=user_id)
    existing = open_session_of(session, chat.id)
    if existing is not None:
        return existing.id
    deadline = now + dt.timedelta(seconds=window_seconds)
    opened = PlaylistSession(chat_id=chat.id, opened_by=user.id, created_at=now, deadline=deadline)
    session.add(opened)
    session.flush()
    return opened.id


def open_playlist_id(session: Session, *, platform: str, chat_id: str) -> int | None:
    """The open session of a chat, if any (photos sent now join it)."""
    chat = _chat(session, platform, chat_id)
    found = open_session_of(session, chat.id) if chat else None
    return found.id if found else None


def _close(
    session: Session,
    *,
    session_id: int,
    chat_pk: int,
    user_pk: int | None,
    job_id: str,
    message_ref: str | None,
    now: dt.datetime,
) -> bool:
    """Close one session and write the request for its blend, unless someone closed it first."""
    closed = session.execute(
        update(PlaylistSession)
        .where(PlaylistSession.id == session_id, PlaylistSession.status == "open")
        .values(status="closed", closed_at=now)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    jobs.create_request(
        session, job_id=job_id, kind="playlist", chat_id=chat_pk, user_id=user_pk,
        message_ref=message_ref, session_id=session_id,
    )  # fmt: skip
    return True


def close_playlist(
    session: Session,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    job_id: str,
    message_ref: str | None = None,
) -> None:
    """A member closes the chat's open session; its blend is queued as `job_id`."""
    chat = _chat(session, platform, chat_id)
    found = open_session_of(session, chat.id) if chat else None
    if chat is None or found is None:
        raise NoOpenPlaylist("there is no open playlist in this chat")
    user = people.get_or_create_user(session, platform=platform, external_id=user_id)
    if not _close(
        session, session_id=found.id, chat_pk=chat.id, user_pk=user.id, job_id=job_id,
        message_ref=message_ref, now=utcnow(),
    ):  # fmt: skip
        raise NoOpenPlaylist("the playlist was closed meanwhile")


def close_due(
    session: Session,
    *,
    platform: str,
    window_seconds: float,
    now: dt.datetime | None = None,
    limit: int = 50,
) -> list[ClosedPlaylist]:
    """Close the sessions of `platform` whose deadline has passed (sessions without one, from
    before migration 0005: `window_seconds` after they opened); their blends are queued as
    the returned jobs, in the name of the member who opened them."""
    now = now or utcnow()
    opened_before = now - dt.timedelta(seconds=window_seconds)
    rows = session.execute(
        select(
            PlaylistSession.id,
            PlaylistSession.chat_id,
            PlaylistSession.opened_by,
            Chat.external_id,
            User.language,
        )
        .join(Chat, Chat.id == PlaylistSession.chat_id)
        .outerjoin(User, User.id == PlaylistSession.opened_by)
        .where(
            Chat.platform == platform,
            PlaylistSession.status == "open",
            or_(
                PlaylistSession.deadline <= now,
                PlaylistSession.deadline.is_(None) & (PlaylistSession.created_at <= opened_before),
            ),
        )
        .order_by(PlaylistSession.id)
        .limit(limit)
    ).all()
    closed = []
    for session_id, chat_pk, opener, chat_id, language in rows:
        job_id = str(uuid.uuid4())
        if _close(
            session, session_id=session_id, chat_pk=chat_pk, user_pk=opener, job_id=job_id,
            message_ref=None, now=now,
        ):  # fmt: skip
            closed.append(ClosedPlaylist(job_id, chat_id, language or "ko"))
    return closed
