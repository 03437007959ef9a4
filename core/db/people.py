"""Users and chats: get-or-create, language, and forgetting a user."""

from __future__ import annotations

from sqlalchemy import delete, func, select
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


def forget_user(session: Session, *, platform: str, external_id: str) -> int:
    """Delete everything of this user: votes, requests (with their items), their private
    chats (a private chat's id is the person's own, on Telegram), the user row.

    Returns the number of rows deleted (0 for an unknown user)."""
    user = get_user(session, platform=platform, external_id=external_id)
    if user is None:
        return 0
    votes = session.execute(delete(Vote).where(Vote.user_id == user.id)).rowcount  # type: ignore[attr-defined]
    mine = select(Request.id).where(Request.user_id == user.id)
    items = session.scalar(
        select(func.count())
        .select_from(RecommendedItem)
        .where(RecommendedItem.request_id.in_(mine))
    )
    private = list(
        session.scalars(
            select(Request.chat_id)
            .join(Chat, Chat.id == Request.chat_id)
            .where(Request.user_id == user.id, Chat.kind == "private")
            .distinct()
        )
    )
    # The database cascades to the items of these requests and to others' votes on them.
    requests = session.execute(delete(Request).where(Request.user_id == user.id)).rowcount  # type: ignore[attr-defined]
    chats = 0
    if private:  # unless someone else's requests still point there
        used = select(Request.chat_id).where(Request.chat_id.in_(private))
        gone = session.execute(delete(Chat).where(Chat.id.in_(private), ~Chat.id.in_(used)))
        chats = gone.rowcount  # type: ignore[attr-defined]
    session.execute(delete(User).where(User.id == user.id))
    session.expunge_all()
    return int(votes) + int(requests) + int(items or 0) + int(chats) + 1
