"""Offline check of vote-aware re-ranking: replay a vote log in time order.

A log is JSON lines, one reply per line:
  {"tags": [["바다", 0.8], ...], "chat": "c1", "user": "u3", "votes": [["song id", 1], ...],
   "good": ["song id", ...]}            # "good" (optional): the truth, known in synthetic logs
For each reply, the recommender's candidates are ranked twice — as they are ("before") and
re-ranked with the votes of all *earlier* replies ("after") — and both top-k lists are scored
against the reply's truth: its `good` songs, or else the songs it liked. Then its votes are
added. `synthetic_log` writes a log whose users have a hidden taste per tag.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from tqdm import tqdm

from core.catalog import Catalog
from core.db.database import Database
from core.db.models import Chat, RecommendedItem, Request, Vote
from core.domain import TagWeight
from core.errors import InputFileError
from core.feedback import VoteEvent, VoteStats, rerank
from core.recommender import Recommender


@dataclass(frozen=True)
class Reply:
    tags: tuple[tuple[str, float], ...]
    chat: str
    user: str
    votes: tuple[tuple[str, int], ...]
    good: frozenset[str] | None = None

    def truth(self) -> set[str]:
        return set(self.good) if self.good is not None else {s for s, v in self.votes if v > 0}

    def to_json(self) -> str:
        data: dict[str, object] = {
            "tags": [list(t) for t in self.tags],
            "chat": self.chat,
            "user": self.user,
            "votes": [list(v) for v in self.votes],
        }
        if self.good is not None:
            data["good"] = sorted(self.good)
        return json.dumps(data, ensure_ascii=False)


def read_log(path: Path) -> list[Reply]:
    """A vote log as `mri eval feedback --export-log` writes it: one JSON reply per line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputFileError(f"{path} is not a vote log: it is not UTF-8 text") from None
    replies = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            replies.append(_reply(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            raise InputFileError(
                f"{path}:{number} is not a vote log line (a JSON object with 'tags' and "
                "'votes', as `mri eval feedback --export-log` writes)"
            ) from None
    if not replies:
        raise InputFileError(f"{path} holds no replies")
    return replies


def _reply(d: dict[str, Any]) -> Reply:
    return Reply(
        tags=tuple((str(t), float(w)) for t, w in d["tags"]),
        chat=str(d.get("chat", "")),
        user=str(d.get("user", "")),
        votes=tuple((str(s), int(v)) for s, v in d.get("votes", [])),
        good=frozenset(map(str, d["good"])) if "good" in d else None,
    )


def _good(tag: str, song: str, share: float) -> bool:
    """A hidden, deterministic taste: is `song` good for `tag`?"""
    h = hashlib.blake2b(f"{tag}\x00{song}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64 < share


def synthetic_log(
    catalog: Catalog,
    *,
    replies: int = 300,
    users: int = 20,
    chats: int = 5,
    tag_pool: int = 12,
    votes_per_reply: int = 4,
    good_share: float = 0.3,
    noise: float = 0.1,
    top_k: int = 10,
    seed: int = 0,
) -> list[Reply]:
    """Replies to queries over the `tag_pool` most frequent shown tags; users vote on shown songs
    by a hidden taste (a song is good for a query when good for most of its tags)."""
    rng = random.Random(seed)
    recommender = Recommender(catalog)
    shown = sorted(catalog.shown.tolist(), key=lambda i: -int(catalog.tag_counts[i]))
    pool = [catalog.tag_keys[i] for i in shown[:tag_pool]]
    out = []
    for _ in range(replies):
        tags = rng.sample(pool, k=rng.randint(1, min(2, len(pool))))
        weights = tuple((t, round(rng.uniform(0.5, 1.0), 3)) for t in tags)
        candidates = recommender.recommend([TagWeight(t, w) for t, w in weights], top_k * 3)
        ids = [c.song.id for c in candidates]
        good = frozenset(
            s for s in ids if sum(_good(t, s, good_share) for t in tags) * 2 > len(tags)
        )
        shown_ids = ids[:top_k]
        voted = rng.sample(shown_ids, k=min(votes_per_reply, len(shown_ids)))
        votes = []
        for s in voted:
            like = s in good
            if rng.random() < noise:
                like = not like
            votes.append((s, 1 if like else -1))
        out.append(
            Reply(
                weights, f"c{rng.randrange(chats)}", f"u{rng.randrange(users)}", tuple(votes), good
            )
        )
    return out


@dataclass(frozen=True)
class ReplayResult:
    replies: int  # replies scored (those with a non-empty truth, after the warm-up)
    precision_before: float
    precision_after: float
    ndcg_before: float
    ndcg_after: float

    def table(self) -> str:
        return "\n".join(
            [
                f"Replayed {self.replies} replies after the warm-up.",
                "",
                "| metric | before (no votes) | after (vote re-ranking) |",
                "|---|---|---|",
                f"| precision@10 | {self.precision_before:.3f} | {self.precision_after:.3f} |",
                f"| nDCG@10 | {self.ndcg_before:.3f} | {self.ndcg_after:.3f} |",
            ]
        )


def _ndcg(ranked: Sequence[str], truth: set[str], k: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, s in enumerate(ranked[:k]) if s in truth)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(truth))))
    return dcg / ideal if ideal else 0.0


def replay(
    catalog: Catalog,
    log: Iterable[Reply],
    *,
    strength: float = 1.0,
    prior: float = 3.0,
    top_k: int = 10,
    warmup: float = 0.5,
    progress: bool = False,
) -> ReplayResult:
    """Score the first `top_k` before and after re-ranking; replies in the first `warmup`
    share only add their votes."""
    replies = list(log)
    recommender = Recommender(catalog)
    stats = VoteStats(prior=prior)
    start = int(len(replies) * warmup)
    sums = [0.0, 0.0, 0.0, 0.0]
    scored = 0
    for n, reply in enumerate(tqdm(replies, desc="replay", disable=not progress)):
        tags = [TagWeight(t, w) for t, w in reply.tags]
        truth = reply.truth()
        if n >= start and truth:
            candidates = list(recommender.recommend(tags, top_k * 3))
            before = [c.song.id for c in candidates[:top_k]]
            after = [
                c.song.id
                for c in rerank(candidates, tags, stats, chat=reply.chat, strength=strength)[:top_k]
            ]
            sums[0] += len(truth.intersection(before)) / top_k
            sums[1] += len(truth.intersection(after)) / top_k
            sums[2] += _ndcg(before, truth, top_k)
            sums[3] += _ndcg(after, truth, top_k)
            scored += 1
        for song, value in reply.votes:
            stats.add(VoteEvent(reply.tags, song, value, reply.chat, reply.user))
    d = max(scored, 1)
    return ReplayResult(scored, sums[0] / d, sums[1] / d, sums[2] / d, sums[3] / d)


def export_log(db: Database) -> list[Reply]:
    """The stored votes as a replayable log: one line per reply that got song votes (a reply
    anonymised by /forget included: its user is empty)."""
    query = (
        select(
            Request.id, Request.tags, Chat.id, Request.user_id, RecommendedItem.song_id, Vote.value
        )
        .join(RecommendedItem, RecommendedItem.id == Vote.item_id)
        .join(Request, Request.id == RecommendedItem.request_id)
        .join(Chat, Chat.id == Request.chat_id)
        .where(RecommendedItem.rank > 0)
        .order_by(Request.created_at, Request.id, Vote.updated_at)
    )
    with db.reader() as s:
        rows = s.execute(query).all()
    grouped: dict[int, tuple[tuple[tuple[str, float], ...], str, str, list[tuple[str, int]]]] = {}
    for request, tags, chat, user, song, value in rows:
        if request not in grouped:
            keys = tuple((t["key"], float(t["weight"])) for t in tags or [])
            grouped[request] = (keys, str(chat), "" if user is None else str(user), [])
        grouped[request][3].append((song, value))
    return [Reply(t, c, u, tuple(v)) for t, c, u, v in grouped.values()]
