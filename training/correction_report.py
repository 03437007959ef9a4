"""What people's tag corrections say: per tagger, tags shown, dropped and added, and a precision
estimate (shown tags nobody dropped) with a 95% Wilson interval; and the ImageNet tagger's
class -> tag table learned from them (training/corrections.py), replayed on held-out replies.

A shown tag nobody dropped is not proven right (most people never correct anything), so the
precision here is an upper estimate; its interval still says how much the counts can tell.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from core.db.database import Database
from core.db.steering import ShownReply, corrections, shown_replies
from core.tagging.imagenet import read_scene_table
from training.corrections import CorrectedReply, Replay, Table, learn_table, replay, split_halves
from training.feedback_report import wilson

SHOWN_PER_REPLY = 6  # hashtags a reply shows (bot/formatting.hashtags)


@dataclass(frozen=True)
class TaggerTags:
    tagger: str
    replies: int
    shown: int
    dropped: int
    added: int

    @property
    def precision(self) -> float:
        return (self.shown - self.dropped) / self.shown if self.shown else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.shown - self.dropped, self.shown)


def _shown_keys(reply: ShownReply, limit: int = SHOWN_PER_REPLY) -> list[str]:
    return [str(t["key"]) for t in reply.tags if t.get("shown", True)][:limit]


def _loaded(
    db: Database, since: dt.datetime | None
) -> tuple[list[ShownReply], dict[int, dict[str, set[str]]]]:
    with db.reader() as s:
        replies = shown_replies(s, since)
        rows = corrections(s, since)
    changes: dict[int, dict[str, set[str]]] = defaultdict(lambda: {"drop": set(), "add": set()})
    for row in rows:
        changes[row.request_pk][row.action].add(row.tag)
    return replies, changes


def tag_feedback(db: Database, since: dt.datetime | None = None) -> list[TaggerTags]:
    """Per tagger: replies, tags shown, dropped (of those shown) and added."""
    replies, changes = _loaded(db, since)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for reply in replies:
        shown = set(_shown_keys(reply))
        c = counts[reply.tagger]
        c[0] += 1
        c[1] += len(shown)
        c[2] += len(changes[reply.pk]["drop"] & shown) if reply.pk in changes else 0
        c[3] += len(changes[reply.pk]["add"]) if reply.pk in changes else 0
    return [TaggerTags(t, *c) for t, c in sorted(counts.items())]


def corrected_replies(db: Database, since: dt.datetime | None = None) -> list[CorrectedReply]:
    """ImageNet replies with the classes they saw and what people changed (uncorrected ones
    too: a tag shown and kept counts for its class)."""
    replies, changes = _loaded(db, since)
    out = []
    for reply in replies:
        classes = (reply.evidence or {}).get("classes")
        if not classes or not reply.tagger.startswith("imagenet"):
            continue
        change = changes.get(reply.pk, {"drop": set(), "add": set()})
        out.append(
            CorrectedReply(
                tuple((int(c), float(e)) for c, e in classes),
                tuple(_shown_keys(reply)),
                frozenset(change["drop"]),
                frozenset(change["add"]),
            )
        )
    return out


@dataclass(frozen=True)
class Learned:
    table: dict[int, list[tuple[str, float]]]  # learned on every reply (what --write stores)
    replies: int
    before: Replay  # the held-out half, shown by the current table
    after: Replay  # the same half, shown by a table learned on the other half


def learn(db: Database, since: dt.datetime | None = None, base: Table | None = None) -> Learned:
    base = base if base is not None else read_scene_table()
    replies = corrected_replies(db, since)
    first, held_out = split_halves(replies)
    return Learned(
        learn_table(base, replies),
        len(replies),
        replay(base, held_out),
        replay(learn_table(base, first), held_out),
    )


def markdown(rows: list[TaggerTags]) -> str:
    lines = [
        "## Tag corrections",
        "",
        "| tagger | replies | tags shown | dropped | added | precision (95% CI) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lo, hi = r.interval
        lines.append(
            f"| {r.tagger} | {r.replies} | {r.shown} | {r.dropped} | {r.added} | "
            f"{r.precision:.1%} ({lo:.1%}–{hi:.1%}) |"
        )
    if not rows:
        lines.append("| – | 0 | 0 | 0 | 0 | – |")
    return "\n".join(lines)
