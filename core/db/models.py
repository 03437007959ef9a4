"""SQLAlchemy 2.0 models. The schema changes only through Alembic migrations (migrations/).

Never photo bytes: a request keeps the photo's sha256 and the tags it produced.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out, on SQLite (which stores no zone) and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use aware UTC datetimes")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="ko")
    display_name: Mapped[str | None] = mapped_column(String(64))  # for playlist credits
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        CheckConstraint("kind IN ('private', 'group')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PlaylistSession(Base):
    """A group playlist being collected in a chat: members' photos (requests with this
    session_id) join until it is done or its deadline passes (any adapter process closes it)."""

    __tablename__ = "playlist_sessions"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deadline: Mapped[dt.datetime | None]  # None: opened before migration 0005 (created + window)
    closed_at: Mapped[dt.datetime | None]


JOB_STATUSES = ("queued", "running", "done", "failed", "expired")
# revision: a reply steered by its asker (a tag dropped or added, a mood nudge), shown in the
# same message; similar: songs like one song of a reply; inline: a query typed in any chat.
REQUEST_KINDS = ("photo", "text", "playlist", "album", "revision", "similar", "inline")


class Request(Base):
    """One photo, text, group-playlist or album job and its outcome."""

    __tablename__ = "requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'expired')", name="status"
        ),
        CheckConstraint(
            "kind IN ('photo', 'text', 'playlist', 'album', 'revision', 'similar', 'inline')",
            name="kind",
        ),
        Index("ix_requests_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    # None once the person who asked used /forget while others' votes still point at the reply
    # (or it is a group playlist): the reply stays, anonymised, and those votes keep counting.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("playlist_sessions.id", ondelete="SET NULL"), index=True
    )
    message_ref: Mapped[str | None] = mapped_column(String(64))
    # Steering (migration 0006): a revision or a similar-songs request follows the reply it
    # came from; `steer` says what was asked ({"drop": [...], "add": [...], "energy": 1,
    # "song": id}) and, once done, what could not be done ({"notice": ...}).
    parent_id: Mapped[int | None] = mapped_column(  # None once the parent is forgotten
        ForeignKey("requests.id", ondelete="SET NULL"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    steer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What the tagger saw beyond tags, for learning from corrections (ImageNet classes and
    # their evidence): derived numbers, never the photo.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    query_text: Mapped[str | None] = mapped_column(Text)
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list[Any] | None] = mapped_column(JSON)  # [[tag, weight], ...]
    # Albums: each photo's shown tags or failure, [{"n": 1, "tags": [...]}, {"n": 2, "error": …}]
    parts: Mapped[list[Any] | None] = mapped_column(JSON)
    tagger: Mapped[str | None] = mapped_column(String(32))
    tagger_version: Mapped[str | None] = mapped_column(String(64))
    catalog_version: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default="queued")
    error: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[dt.datetime | None]
    enqueued_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    latency_ms: Mapped[int | None]
    # Delivery, in two phases (core/db/delivery.py): claimed with a lease, sent or edited,
    # then confirmed (delivered_at). reply_ref is the chat message that holds (or will hold)
    # the answer, so a retry edits it rather than sending a second one.
    reply_ref: Mapped[str | None] = mapped_column(String(64))
    delivery_lease_until: Mapped[dt.datetime | None]
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivery_error: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    items: Mapped[list[RecommendedItem]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        passive_deletes=True,  # the database's ON DELETE CASCADE removes them
        order_by="RecommendedItem.rank",
    )


class RecommendedItem(Base):
    """A song in a reply, with what it looked like to the person (title, links, reasons)."""

    __tablename__ = "recommended_items"
    __table_args__ = (UniqueConstraint("request_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    rank: Mapped[int]
    song_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float]
    reasons: Mapped[dict[str, Any]]  # {"because": [...], "from": ...}
    song: Mapped[dict[str, Any]]  # title, artists, album, links as shown

    request: Mapped[Request] = relationship(back_populates="items")


class Vote(Base):
    """👍 (+1) or 👎 (-1) by one user on one item; changing it updates the row."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("recommended_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    value: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TagCorrection(Base):
    """A shown tag someone dropped, or a tag they added, on a reply (the best signal a tagger
    gets). Kept with the reply it corrects (its first request, with the tagger's evidence);
    goes with the person on /forget."""

    __tablename__ = "tag_corrections"
    __table_args__ = (CheckConstraint("action IN ('drop', 'add')", name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tagger: Mapped[str] = mapped_column(String(32))
    tag: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WorkerBeat(Base):
    """Heartbeat of a worker process, for `mri status`."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)  # host:pid
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    jobs_done: Mapped[int] = mapped_column(Integer, default=0)
    jobs_failed: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    tagger: Mapped[str | None] = mapped_column(String(64))
