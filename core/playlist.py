"""Group playlists: one list blended from several members' photos.

Each photo's tags make their own ranking; the blend takes songs round-robin across photos, so
every photo contributes, skips songs already taken and keeps the artist cap, and remembers
whose photo brought each song. With `adjust`, each photo's ranking first bends towards what its
member liked before (votes), so the blend reflects the group's taste.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.domain import ScoredSong, TagWeight
from core.recommender import Recommender


@dataclass(frozen=True)
class Contribution:
    """One member's photo: who sent it and the tags it produced."""

    user: str
    tags: tuple[TagWeight, ...]
    key: str | None = None  # the member's user row id, to look up their past votes


Adjust = Callable[[Contribution, list[ScoredSong]], list[ScoredSong]]


def blend(
    recommender: Recommender,
    contributions: Sequence[Contribution],
    top_k: int,
    adjust: Adjust | None = None,
) -> list[tuple[ScoredSong, Contribution]]:
    """(song, the contribution that brought it) pairs, at most `recommender.max_per_artist`
    per artist.

    `adjust` re-orders each photo's candidates (e.g. by that member's past votes) before the
    round-robin; it then sees three times as many candidates as the list will hold."""
    if not contributions:
        return []
    pool = top_k * 3 if adjust is not None else top_k
    per_photo = []
    for c in contributions:
        songs = list(recommender.recommend(c.tags, top_k=pool)) if c.tags else []
        per_photo.append(adjust(c, songs) if adjust is not None and songs else songs)
    chosen: list[tuple[ScoredSong, Contribution]] = []
    seen: set[str] = set()
    per_artist: dict[str, int] = {}
    cursor = [0] * len(per_photo)
    while len(chosen) < top_k and any(c < len(p) for c, p in zip(cursor, per_photo, strict=True)):
        for k, songs in enumerate(per_photo):
            while cursor[k] < len(songs):
                song = songs[cursor[k]]
                cursor[k] += 1
                artist = song.song.artists[0].casefold() if song.song.artists else ""
                if song.song.id in seen or per_artist.get(artist, 0) >= recommender.max_per_artist:
                    continue
                seen.add(song.song.id)
                per_artist[artist] = per_artist.get(artist, 0) + 1
                chosen.append((song, contributions[k]))
                break
            if len(chosen) == top_k:
                break
    return chosen
