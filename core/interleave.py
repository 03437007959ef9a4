"""Team-draft interleaving (Radlinski, Kurup & Joachims 2008) of two rankings.

Each round a fair coin decides which team picks first; each team then adds its highest-ranked
song not yet in the list. Every shown song remembers the team that put it there, so a 👍 on it
is credit for that team: per reply, the team with more likes (minus dislikes) wins it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Drafted(Generic[T]):
    item: T
    team: str


def team_draft(
    a: Sequence[T],
    b: Sequence[T],
    k: int,
    *,
    key: Callable[[T], str],
    teams: tuple[str, str] = ("A", "B"),
    rng: random.Random | None = None,
) -> list[Drafted[T]]:
    """Up to `k` items interleaved from rankings `a` and `b`, each credited to its team."""
    rng = rng or random.Random()
    rankings = (list(a), list(b))
    cursors = [0, 0]
    seen: set[str] = set()
    out: list[Drafted[T]] = []

    def pick(side: int) -> bool:
        ranking = rankings[side]
        while cursors[side] < len(ranking):
            item = ranking[cursors[side]]
            cursors[side] += 1
            if key(item) not in seen:
                seen.add(key(item))
                out.append(Drafted(item, teams[side]))
                return True
        return False

    while len(out) < k:
        first = rng.randrange(2)
        took = False
        for side in (first, 1 - first):
            if len(out) < k and pick(side):
                took = True
        if not took:
            break
    return out


def credit(votes: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Net votes per team for one reply: [(team, +1/-1), ...] -> {team: likes - dislikes}."""
    totals: dict[str, int] = {}
    for team, value in votes:
        totals[team] = totals.get(team, 0) + value
    return totals


def winner(votes: Sequence[tuple[str, int]], teams: tuple[str, str]) -> str | None:
    """The team that won one reply, or None for a tie (no votes, or equal credit)."""
    totals = credit(votes)
    a, b = totals.get(teams[0], 0), totals.get(teams[1], 0)
    if a == b:
        return None
    return teams[0] if a > b else teams[1]
