"""Reading a job back as adapters see it: the request, its songs and its chat."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Chat, RecommendedItem, Request, User
from core.domain import AlbumPart, JobResult, ReplyItem, TagWeight
from core.errors import UnknownItem, UnknownJob

_RESULT_COLUMNS = (
    Request.id,
    Request.job_id,
    Request.kind,
    Request.status,
    Request.message_ref,
    Request.tags,
    Request.tagger,
    Request.catalog_version,
    Request.error,
    Request.session_id,
    Request.parts,
    Request.revision,
    Request.steer,
    Chat.platform,
    Chat.external_id.label("chat_external_id"),
    User.external_id.label("user_external_id"),
    User.display_name,
)
_ITEM_COLUMNS = (
    RecommendedItem.id,
    RecommendedItem.rank,
    RecommendedItem.song_id,
    RecommendedItem.score,
    RecommendedItem.reasons,
    RecommendedItem.song,
)


def load_result(session: Session, job_id: str) -> JobResult:
    """Two indexed queries, no ORM objects: this sits on the reply's critical path."""
    req = session.execute(
        select(*_RESULT_COLUMNS)
        .join(Chat, Chat.id == Request.chat_id)
        .outerjoin(User, User.id == Request.user_id)  # None: anonymised by /forget
        .where(Request.job_id == job_id)
    ).first()
    if req is None:
        raise UnknownJob(f"no job {job_id}")
    rows = session.execute(
        select(*_ITEM_COLUMNS)
        .where(RecommendedItem.request_id == req.id)
        .order_by(RecommendedItem.rank)
    ).all()
    items = tuple(
        ReplyItem(
            item_id=i.id,
            rank=i.rank,
            song_id=i.song_id,
            title=i.song.get("title") or "",
            artists=tuple(i.song.get("artists") or ()),
            album=i.song.get("album"),
            melon_url=i.song.get("melon_url"),
            melon_search_url=i.song.get("melon_search_url") or "",
            score=i.score,
            because=tuple(i.reasons.get("because") or ()),
            from_user=i.reasons.get("from_user"),
            from_photo=i.reasons.get("from_photo"),
        )
        for i in rows
        if i.rank > 0
    )
    list_item = next((i.id for i in rows if i.rank == 0), None)
    tags = tuple(
        TagWeight(t["tag"], float(t["weight"])) for t in (req.tags or []) if t.get("shown", True)
    )
    return JobResult(
        job_id=req.job_id,
        kind=req.kind,
        status=req.status,
        platform=req.platform,
        chat_id=req.chat_external_id,
        user_id=req.user_external_id or "",
        message_ref=req.message_ref,
        tags=tags,
        items=items,
        tagger=req.tagger,
        catalog=req.catalog_version,
        error=req.error,
        session_id=req.session_id,
        list_item_id=list_item,
        user_name=req.display_name,
        parts=tuple(
            AlbumPart(int(p["n"]), tuple(p.get("tags") or ()), p.get("error"))
            for p in req.parts or ()
        ),
        revision=req.revision,
        steer={k: v for k, v in (req.steer or {}).items() if k in ("title", "notice")},
    )


def job_of_item(session: Session, item_id: int) -> str:
    """The job whose reply holds this item (to redraw its vote buttons)."""
    job = session.scalar(
        select(Request.job_id)
        .join(RecommendedItem, RecommendedItem.request_id == Request.id)
        .where(RecommendedItem.id == item_id)
    )
    if job is None:
        raise UnknownItem(f"no recommended item {item_id}")
    return job


def request_pk(session: Session, job_id: str) -> int:
    pk = session.scalar(select(Request.id).where(Request.job_id == job_id))
    if pk is None:
        raise UnknownJob(f"no job {job_id}")
    return pk
