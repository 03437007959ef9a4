"""Corrections teach the ImageNet tagger: class -> tag weights adjusted from dropped and added tags.

A reply's tags come from the photo's top ImageNet classes voting through the scene table
(seashore -> 바다, 해변, 여름). When a person drops a shown tag, every class that voted for it
shares the blame in proportion to its vote (evidence x table weight); when a person adds a tag,
the photo's classes share the credit by evidence. Per (class, tag):

    keep = (exposure - drops + prior) / (exposure + prior)        new weight = weight x keep

so a pair with no corrections keeps the table's weight (shrunk towards the table with `prior`
pseudo-exposures that were all kept), and a pair dropped nearly every time it shows loses its
weight. A tag added for a class gains `add_weight` x adds / (class exposure + prior).

`replay` checks a learned table on replies it did not learn from: with each table, which of a
reply's dropped tags would still be shown (repeated drops) and which of its kept tags would be.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.tagging.imagenet import SCENE_TABLE

Table = Mapping[int, Sequence[tuple[str, float]]]


@dataclass(frozen=True)
class CorrectedReply:
    """One reply of the ImageNet tagger: the photo's classes, the tags shown, what changed."""

    classes: tuple[tuple[int, float], ...]  # (ImageNet class, evidence), evidence sums to ~1
    shown: tuple[str, ...]
    dropped: frozenset[str] = frozenset()
    added: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LearnConfig:
    prior: float = 3.0  # pseudo-exposures, all kept, towards the table's weight
    add_weight: float = 0.6  # weight of a tag added every time a class shows
    min_weight: float = 0.05  # a pair that falls below is left out


def class_votes(table: Table, classes: Iterable[tuple[int, float]]) -> dict[str, float]:
    """tag -> Σ evidence x weight over the classes' table rows (the tagger's table step)."""
    votes: defaultdict[str, float] = defaultdict(float)
    for c, e in classes:
        for tag, w in table.get(c, ()):
            votes[tag] += e * w
    return dict(votes)


def shown_by(table: Table, reply: CorrectedReply, k: int, min_weight: float = 0.08) -> list[str]:
    """The tags the table step would show for this reply's classes: the k strongest, each at
    least `min_weight` of the strongest (as `TagScores.top` keeps them)."""
    votes = class_votes(table, reply.classes)
    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    head = ranked[0][1] if ranked else 0.0
    return [t for t, v in ranked if head > 0 and v >= min_weight * head]


def learn_table(
    table: Table, replies: Iterable[CorrectedReply], cfg: LearnConfig | None = None
) -> dict[int, list[tuple[str, float]]]:
    """The table adjusted by the corrections in `replies` (see the module's docstring)."""
    cfg = cfg or LearnConfig()
    exposure: defaultdict[tuple[int, str], float] = defaultdict(float)
    drops: defaultdict[tuple[int, str], float] = defaultdict(float)
    adds: defaultdict[tuple[int, str], float] = defaultdict(float)
    seen: defaultdict[int, float] = defaultdict(float)
    weight = {(c, t): w for c, row in table.items() for t, w in row}
    for reply in replies:
        for c, e in reply.classes:
            seen[c] += e
            for tag in reply.added:
                adds[c, tag] += e
        for tag in reply.shown:
            shares = {c: e * weight.get((c, tag), 0.0) for c, e in reply.classes}
            total = sum(shares.values())
            if total <= 0:
                continue  # shown for another reason (colour cues, the tag space): no class blamed
            for c, share in shares.items():
                if share > 0:
                    exposure[c, tag] += share / total
                    if tag in reply.dropped:
                        drops[c, tag] += share / total
    learned: dict[int, list[tuple[str, float]]] = {}
    for c in set(table) | {c for c, _ in adds}:
        row: dict[str, float] = {}
        for tag, w in table.get(c, ()):
            n, d = exposure[c, tag], drops[c, tag]
            row[tag] = w * (n - d + cfg.prior) / (n + cfg.prior)
        for (ac, tag), a in adds.items():
            if ac == c:
                row[tag] = row.get(tag, 0.0) + cfg.add_weight * a / (seen[c] + cfg.prior)
        kept = [(t, round(w, 4)) for t, w in row.items() if w >= cfg.min_weight]
        if kept:
            learned[c] = sorted(kept, key=lambda tw: -tw[1])
    return learned


@dataclass(frozen=True)
class Replay:
    """Held-out replies shown again with a table: how many dropped tags come back, how many
    kept tags stay."""

    replies: int
    dropped: int  # dropped tags in those replies (each was shown once)
    repeated: int  # of them, still shown by this table
    kept: int  # shown and not dropped
    kept_shown: int  # of them, still shown by this table

    @property
    def repeat_rate(self) -> float:
        return self.repeated / self.dropped if self.dropped else 0.0

    @property
    def kept_rate(self) -> float:
        return self.kept_shown / self.kept if self.kept else 1.0


def replay(table: Table, replies: Sequence[CorrectedReply]) -> Replay:
    """Each reply's classes through `table`, as many tags shown as it showed: which of its
    dropped and kept tags show again."""
    dropped = repeated = kept = kept_shown = 0
    for reply in replies:
        shown = set(shown_by(table, reply, len(reply.shown)))
        for tag in reply.shown:
            if tag in reply.dropped:
                dropped += 1
                repeated += tag in shown
            else:
                kept += 1
                kept_shown += tag in shown
    return Replay(len(replies), dropped, repeated, kept, kept_shown)


def split_halves(
    replies: Sequence[CorrectedReply],
) -> tuple[list[CorrectedReply], list[CorrectedReply]]:
    """A stable split by the reply's content: learn on one half, replay on the other."""
    first: list[CorrectedReply] = []
    second: list[CorrectedReply] = []
    for reply in replies:
        digest = hashlib.sha256(repr((reply.classes, reply.shown)).encode()).digest()
        (first if digest[0] % 2 == 0 else second).append(reply)
    return first, second


def class_names(path: Path = SCENE_TABLE) -> dict[int, str]:
    """ImageNet class index -> its English name, as the scene table lists them."""
    with open(path, encoding="utf-8", newline="") as f:
        return {int(row["index"]): row["class"] for row in csv.DictReader(f, delimiter="\t")}


def write_table(table: Table, class_names: Mapping[int, str], path: Path) -> None:
    """The learned table in the shipped table's format (index, class, tag:weight,...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter="\t", lineterminator="\n")
        out.writerow(["index", "class", "tags"])
        for c in sorted(table):
            tags = ",".join(f"{t}:{w:g}" for t, w in table[c])
            out.writerow([c, class_names.get(c, ""), tags])
    tmp.replace(path)
