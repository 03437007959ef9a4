"""What the votes say, fed back into ranking.

`VoteStats` aggregates 👍/👎 per (tag, song) — globally and per chat — and per (user, song).
`rerank` nudges a candidate list: songs liked for similar tags rise, disliked ones sink. Each
count is shrunk towards zero with a prior of `prior` votes, so one vote moves a song a little and
a consistent pattern moves it a lot: boost = Σ_tag w_tag · (likes − dislikes) / (likes + dislikes
+ prior), and the score moves by `strength` × boost × (the spread of the candidate scores).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db.database import Database
from core.db.jobs import LIST_ITEM
from core.db.models import Chat, RecommendedItem, Request, Vote
from core.domain import ScoredSong, TagWeight


@dataclass(frozen=True)
class VoteEvent:
    """One vote, with the query it answered."""

    tags: tuple[tuple[str, float], ...]  # the request's query tags (key, weight)
    song: str
    value: int  # +1 / -1
    chat: str = ""
    user: str = ""


@dataclass
class VoteStats:
    """Like/dislike counts by (tag, song), (chat, tag, song) and (user, song)."""

    prior: float = 3.0
    tag_song: dict[tuple[str, str], list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0])
    )
    chat_tag_song: dict[tuple[str, str, str], list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0])
    )
    user_song: dict[tuple[str, str], list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0])
    )
    votes: int = 0

    def add(self, event: VoteEvent) -> None:
        slot = 0 if event.value > 0 else 1
        total = sum(w for _, w in event.tags) or 1.0
        for tag, weight in event.tags:
            share = weight / total  # a vote counts once, spread over the query's tags
            self.tag_song[(tag, event.song)][slot] += share
            if event.chat:
                self.chat_tag_song[(event.chat, tag, event.song)][slot] += share
        if event.user:
            self.user_song[(event.user, event.song)][slot] += 1.0
        self.votes += 1

    @classmethod
    def of(cls, events: Iterable[VoteEvent], prior: float = 3.0) -> VoteStats:
        stats = cls(prior=prior)
        for event in events:
            stats.add(event)
        return stats

    def _shrunk(self, counts: Sequence[float] | None) -> float:
        if not counts:
            return 0.0
        likes, dislikes = counts
        return (likes - dislikes) / (likes + dislikes + self.prior)

    def boost(
        self,
        song: str,
        tags: Sequence[TagWeight],
        chat: str | None = None,
        chat_weight: float = 1.0,
    ) -> float:
        """In [-1, 1] (roughly): how much people liked `song` for these tags."""
        total = sum(t.weight for t in tags) or 1.0
        value = 0.0
        for t in tags:
            share = t.weight / total
            value += share * self._shrunk(self.tag_song.get((t.tag, song)))
            if chat:
                value += (
                    chat_weight * share * self._shrunk(self.chat_tag_song.get((chat, t.tag, song)))
                )
        return value

    def user_boost(self, user: str, song: str) -> float:
        return self._shrunk(self.user_song.get((user, song)))


def rerank(
    songs: Sequence[ScoredSong],
    tags: Sequence[TagWeight],
    stats: VoteStats,
    *,
    chat: str | None = None,
    user: str | None = None,
    strength: float = 1.0,
) -> list[ScoredSong]:
    """`songs` re-ordered by score + strength × boost × spread(scores); scores updated."""
    if not songs or stats.votes == 0 or strength == 0:
        return list(songs)
    scores = [s.score for s in songs]
    spread = (max(scores) - min(scores)) or 1.0
    adjusted = []
    for s in songs:
        b = stats.boost(s.song.id, tags, chat)
        if user is not None:
            b += stats.user_boost(user, s.song.id)
        adjusted.append(dataclasses.replace(s, score=s.score + strength * spread * b))
    return sorted(adjusted, key=lambda s: -s.score)


def load_events(db: Database, since: dt.datetime | None = None) -> list[VoteEvent]:
    """Every stored vote on a song (whole-list votes excluded), oldest first."""
    query = (
        select(Request.tags, RecommendedItem.song_id, Vote.value, Chat.id, Vote.user_id)
        .join(RecommendedItem, RecommendedItem.id == Vote.item_id)
        .join(Request, Request.id == RecommendedItem.request_id)
        .join(Chat, Chat.id == Request.chat_id)
        .where(RecommendedItem.song_id != LIST_ITEM)
        .order_by(Vote.updated_at)
    )
    if since is not None:
        query = query.where(Vote.updated_at >= since)
    with db.reader() as s:
        rows = s.execute(query).all()
    return [
        VoteEvent(
            tags=tuple((t["key"], float(t["weight"])) for t in tags or []),
            song=song,
            value=value,
            chat=str(chat),
            user=str(user),
        )
        for tags, song, value, chat, user in rows
    ]


class LiveVoteStats:
    """VoteStats from the database, rebuilt at most every `ttl` seconds (per worker process)."""

    def __init__(self, db: Database, ttl: float = 60.0, prior: float = 3.0) -> None:
        self.db, self.ttl, self.prior = db, ttl, prior
        self._stats = VoteStats(prior=prior)
        self._loaded = -float("inf")
        self._lock = threading.Lock()

    def get(self) -> VoteStats:
        with self._lock:
            if time.monotonic() - self._loaded > self.ttl:
                self._stats = VoteStats.of(load_events(self.db), self.prior)
                self._loaded = time.monotonic()
            return self._stats

    def invalidate(self) -> None:
        with self._lock:
            self._loaded = -float("inf")
