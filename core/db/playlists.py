"""Group playlist sessions: at most one open per chat; photos join it until it is closed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import jobs, people
from core.db.models import Chat, PlaylistSession, utcnow
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


def open_playlist(session: Session, *, platform: str, chat_id: str, user_id: str) -> int:
    """Start (or return the already open) playlist session of a group chat."""
    chat = people.get_or_create_chat(session, platform=platform, external_id=chat_id, kind="group")
    user = people.get_or_create_user(session, platform=platform, external_id=user_id)
    existing = open_session_of(session, chat.id)
    if existing is not None:
        return existing.id
    opened = PlaylistSession(chat_id=chat.id, opened_by=user.id)
    session.add(opened)
    session.flush()
    return opened.id


def open_playlist_id(session: Session, *, platform: str, chat_id: str) -> int | None:
    """The open session of a chat, if any (photos sent now join it)."""
    chat = _chat(session, platform, chat_id)
    found = open_session_of(session, chat.id) if chat else None
    return found.id if found else None


def close_playlist(
    session: Session,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    job_id: str,
    message_ref: str | None = None,
) -> None:
    """Close the chat's open session and write the request for its blend (queued)."""
    chat = _chat(session, platform, chat_id)
    found = open_session_of(session, chat.id) if chat else None
    if chat is None or found is None:
        raise NoOpenPlaylist("there is no open playlist in this chat")
    found.status, found.closed_at = "closed", utcnow()
    user = people.get_or_create_user(session, platform=platform, external_id=user_id)
    jobs.create_request(
        session, job_id=job_id, kind="playlist", chat_id=chat.id, user_id=user.id,
        message_ref=message_ref, session_id=found.id,
    )  # fmt: skip
