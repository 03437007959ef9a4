"""Users and chats: get-or-create, language, and forgetting a user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.models import Chat, RecommendedItem, Request, User, Vote


def get_user(session: Session, *, platform: str, external_id: str) -> User | None:
    return session.scalar(
        select(User).where(User.platform == platform, User.external_id == external_id)
    )


def get_or_create_user(session: Session, *, platform: str, external_id: str) -> User:
    """The user row, created on first sight (safe against a concurrent insert)."""
    user = get_user(session, platform=platform, external_id=external_id)
    if user is not None:
        return user
    try:
        with session.begin_nested():
            user = User(platform=platform, external_id=external_id)
            session.add(user)
    except IntegrityError:
        user = get_user(session, platform=platform, external_id=external_id)
        assert user is not None
    return user


def language(session: Session, *, platform: str, external_id: str) -> str:
    """The user's language ("ko" for someone MRI has not met)."""
    found = session.scalar(
        select(User.language).where(User.platform == platform, User.external_id == external_id)
    )
    return found or "ko"


def asked_in_words(session: Session, *, platform: str, external_id: str) -> bool:
    """Whether the user has asked for a mood in words before (a first-time hint otherwise)."""
    found = session.scalar(
        select(Request.id)
        .join(User, User.id == Request.user_id)
        .where(User.platform == platform, User.external_id == external_id, Request.kind == "text")
        .limit(1)
    )
    return found is not None


def set_language(session: Session, *, platform: str, external_id: str, language: str) -> None:
    get_or_create_user(session, platform=platform, external_id=external_id).language = language


def set_display_name(session: Session, *, user_pk: int, name: str) -> None:
    session.execute(update(User).where(User.id == user_pk).values(display_name=name))


def get_or_create_chat(session: Session, *, platform: str, external_id: str, kind: str) -> Chat:
    chat = session.scalar(
        select(Chat).where(Chat.platform == platform, Chat.external_id == external_id)
    )
    if chat is not None:
        return chat
    try:
        with session.begin_nested():
            chat = Chat(platform=platform, external_id=external_id, kind=kind)
            session.add(chat)
    except IntegrityError:
        chat = session.scalar(
            select(Chat).where(Chat.platform == platform, Chat.external_id == external_id)
        )
        assert chat is not None
    return chat


@dataclass(frozen=True)
class Forgotten:
    """What /forget did: rows deleted, replies kept anonymised (others voted on them, or they
    are a group's playlist), and the jobs whose photos may still wait in the photo store."""

    deleted: int = 0
    anonymised: int = 0
    photo_jobs: tuple[str, ...] = ()


def forget_user(session: Session, *, platform: str, external_id: str) -> Forgotten:
    """Delete what is this person's and nothing that is someone else's.

    Deleted: their votes, their requests (with the songs shown), their place in group
    playlists (session membership, the credit by name), their private chats, their user row
    (language, display name). Kept, anonymised: a reply of theirs that someone else voted on,
    and a group playlist they closed; the reply loses its owner, photo hash, query text and
    playlist membership, so other people's votes stay attached to it and keep counting."""
    user = get_user(session, platform=platform, external_id=external_id)
    if user is None:
        return Forgotten()
    names = {user.external_id, *([user.display_name] if user.display_name else [])}
    sessions = {
        sid
        for sid in session.scalars(select(Request.session_id).where(Request.user_id == user.id))
        if sid is not None
    }
    votes = _count(session.execute(delete(Vote).where(Vote.user_id == user.id)))
    mine = Request.user_id == user.id
    others_voted = (
        select(RecommendedItem.request_id)
        .join(Vote, Vote.item_id == RecommendedItem.id)
        .where(Vote.user_id != user.id)
    )
    playlists = mine & (Request.kind == "playlist")  # the group's reply: only the owner goes
    anonymised = _count(session.execute(update(Request).where(playlists).values(user_id=None)))
    voted = mine & Request.id.in_(others_voted)
    anonymised += _count(
        session.execute(
            update(Request)
            .where(voted)
            .values(user_id=None, photo_sha256=None, query_text=None, session_id=None)
        )
    )
    gone = session.execute(
        select(Request.id, Request.job_id, Request.kind, Request.status, Request.chat_id).where(
            mine
        )
    ).all()
    photo_jobs = tuple(
        r.job_id for r in gone if r.kind in ("photo", "album") and r.status in ("queued", "running")
    )
    items = session.scalar(
        select(func.count())
        .select_from(RecommendedItem)
        .where(RecommendedItem.request_id.in_([r.id for r in gone]))
    )
    requests = _count(session.execute(delete(Request).where(mine)))  # items cascade with them
    credits = _uncredit(session, sessions, user.id, names)
    private = {r.chat_id for r in gone} | set(
        session.scalars(
            select(Chat.id).where(
                Chat.platform == platform, Chat.external_id == external_id, Chat.kind == "private"
            )
        )
    )
    used = select(Request.chat_id).where(Request.chat_id.in_(private))
    chats = _count(
        session.execute(
            delete(Chat).where(Chat.id.in_(private), Chat.kind == "private", ~Chat.id.in_(used))
        )
    )
    session.execute(delete(User).where(User.id == user.id))
    session.expunge_all()
    deleted = votes + requests + int(items or 0) + chats + 1
    return Forgotten(deleted, anonymised + credits, photo_jobs)


def _uncredit(session: Session, sessions: set[int], user_pk: int, names: set[str]) -> int:
    """Take the person's name off the songs their photos brought to group playlists."""
    if not sessions:
        return 0
    rows = session.execute(
        select(RecommendedItem.id, RecommendedItem.reasons)
        .join(Request, Request.id == RecommendedItem.request_id)
        .where(Request.kind == "playlist", Request.session_id.in_(sessions))
    ).all()
    changed = 0
    for item_id, reasons in rows:
        key = reasons.get("from_user_key")
        if key == str(user_pk) or (key is None and reasons.get("from_user") in names):
            kept = {k: v for k, v in reasons.items() if k not in ("from_user", "from_user_key")}
            session.execute(
                update(RecommendedItem).where(RecommendedItem.id == item_id).values(reasons=kept)
            )
            changed += 1
    return changed


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
