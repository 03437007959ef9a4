"""Replies people can steer: drop or add a tag, nudge the mood, "more like this".

Everything here works on a reply's weighted tags (or one song) and the catalog; the new list
comes from the same `Recommender.recommend` as any other reply.

- **Energy axis.** The direction in the learned tag space from calm tags (잔잔한, 새벽, 휴식 …)
  to lively ones (신나는, 댄스, 파티 …): the difference of the two groups' mean tag vectors,
  unit length. Each tag's energy is its cosine with that axis.
- **Nudge.** "더 신나게" moves the query along the axis: every tag's weight is multiplied by
  exp(step · energy), tags that fall far behind are dropped, and the shown tags furthest along
  the axis in that direction join with a weight of `step` times the strongest tag, so the reply
  says which way it moved (#신나는 #댄스 appear, #새벽 goes).
- **Similar songs.** A song's own vector as the query, with the serving popularity prior and
  hub correction, never the same song or the same artist.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from core.catalog import Catalog
from core.domain import ScoredSong, TagWeight
from core.errors import EmptyQuery, MriError
from core.recommender import Recommender
from core.songkeys import key_of
from core.steer_words import Steer
from core.textnorm import tag_key

LIVELY = ("신나는", "댄스", "파티", "운동", "클럽", "드라이브", "흥", "에너지")
CALM = ("잔잔한", "새벽", "휴식", "편안한", "조용한", "차분한", "숙면", "명상", "힐링")


class EnergyAxis:
    """The calm -> lively direction of a catalog's tag space."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        vectors = catalog.tag_vectors.astype(np.float64)
        norms = np.maximum(np.linalg.norm(vectors, axis=1), 1e-9)
        unit = vectors / norms[:, None]

        def mean_of(keys: Sequence[str]) -> np.ndarray:
            rows = [catalog.tag_index[k] for k in keys if k in catalog.tag_index]
            if not rows:
                raise EmptyQuery(f"the catalog knows none of the anchor tags {', '.join(keys)}")
            return unit[rows].mean(axis=0)  # type: ignore[no-any-return]

        axis = mean_of(LIVELY) - mean_of(CALM)
        self.direction = (axis / max(float(np.linalg.norm(axis)), 1e-9)).astype(np.float32)
        self.energy = (unit @ self.direction).astype(np.float32)  # per tag, in [-1, 1]

    def of(self, tag: str) -> float:
        """A tag's energy (0 for a tag the catalog does not know)."""
        i = self.catalog.tag_index.get(tag)
        return 0.0 if i is None else float(self.energy[i])

    def nudge(
        self, tags: Sequence[TagWeight], direction: int, *, step: float = 1.5, join: int = 2
    ) -> tuple[TagWeight, ...]:
        """The tags moved one step along the axis (`direction` +1 livelier, -1 calmer)."""
        if direction not in (1, -1):
            raise ValueError("direction is +1 or -1")
        if not tags:
            raise EmptyQuery("no tags to nudge")
        moved = {t.tag: t.weight * float(np.exp(direction * step * self.of(t.tag))) for t in tags}
        top = max(moved.values())
        moved = {k: w for k, w in moved.items() if w >= 0.15 * top}
        shown = self.catalog.shown
        order = shown[np.argsort(-direction * self.energy[shown], kind="stable")]
        joined = 0
        for i in order.tolist():
            key = self.catalog.tag_keys[i]
            if key not in moved:
                moved[key] = 0.5 * step * top / (1 + joined)
                joined += 1
            if joined >= join:
                break
        ranked = sorted(moved.items(), key=lambda kv: -kv[1])
        return tuple(TagWeight(k, w) for k, w in ranked)


class UnknownTags(MriError):  # noqa: N818 - named like the other errors people meet
    """Tags a person asked to add that the catalog does not know (the words, as typed)."""

    def __init__(self, words: Sequence[str]) -> None:
        super().__init__(", ".join(words))
        self.words = tuple(words)


def resolve_tag(catalog: Catalog, word: str) -> str | None:
    """The catalog tag a typed word means ('#바다', '바다 ', 'Summer' -> its key), if any."""
    key = tag_key(word.lstrip("#"))
    if key in catalog.tag_index:
        return key
    lowered = word.lstrip("#").strip().lower()
    for i, shown in enumerate(catalog.tag_display):
        if shown.lower() == lowered:
            return catalog.tag_keys[i]
    return None


def edit_tags(catalog: Catalog, tags: Sequence[TagWeight], steer: Steer) -> tuple[TagWeight, ...]:
    """Tags without the dropped ones and with the added ones (as strong as the strongest tag).

    UnknownTags when a tag to add is not in the catalog; EmptyQuery when nothing is left."""
    unknown = [w for w in steer.add if resolve_tag(catalog, w) is None]
    if unknown:
        raise UnknownTags(unknown)
    dropped = {resolve_tag(catalog, w) or tag_key(w) for w in steer.drop}
    kept = [t for t in tags if t.tag not in dropped]
    top = max((t.weight for t in tags), default=1.0)
    have = {t.tag for t in kept}
    for word in steer.add:
        key = resolve_tag(catalog, word)
        if key is not None and key not in have and key not in dropped:
            kept.insert(0, TagWeight(key, top))
            have.add(key)
    if not kept:
        raise EmptyQuery("no tags left")
    return tuple(kept)


class Similar:
    """Songs near one song in the tag space, never the same song or the same artist."""

    def __init__(self, recommender: Recommender) -> None:
        self.recommender = recommender
        self.catalog = recommender.catalog

    @cached_property
    def _local(self) -> dict[str, int]:
        """song id -> position among the named songs (the serving index's rows)."""
        return {self.catalog.songs[int(r)].id: j for j, r in enumerate(self.catalog.named)}

    def songs(self, song_id: str, k: int = 5) -> tuple[ScoredSong, ...]:
        """Up to k songs like `song_id` (a named song); KeyError when there is no such song."""
        j = self._local[song_id]
        rec = self.recommender
        row = int(self.catalog.named[j])
        seed = self.catalog.songs[row]
        vec = self.catalog.song_vector(row)[:-1].astype(np.float32)
        vec = vec / max(float(np.linalg.norm(vec)), 1e-9)
        q = np.r_[vec, rec.popularity_weight, -rec.hub_strength].astype(np.float32)
        pool = min(len(self.catalog.named), max(20 * k, 200))
        scores, local = rec.serving_index.search(q, pool)
        own = key_of(seed.title or "", seed.artists)
        chosen: list[tuple[int, float]] = []
        seen = {own}
        artists = {own[1]}  # one song per artist, never the seed's
        for score, other in zip(scores[0], local[0], strict=True):
            if other < 0 or rec.song_keys[other] in seen or rec.song_keys[other][1] in artists:
                continue
            artists.add(rec.song_keys[other][1])
            seen.add(rec.song_keys[other])
            chosen.append((int(self.catalog.named[other]), float(score)))
            if len(chosen) == k:
                break
        weights = self.seed_tags(song_id)
        return tuple(rec.scored(r, s, weights) for r, s in chosen)

    def seed_tags(self, song_id: str, n: int = 5) -> dict[int, float]:
        """The shown tags closest to a song (cosine, the closest 1.0): what it sounds like, and
        the 'because' of every song like it."""
        row = int(self.catalog.named[self._local[song_id]])
        vec = self.catalog.song_vector(row)[:-1]
        shown = self.catalog.shown
        tags = self.catalog.tag_vectors[shown]
        sims = tags @ vec / np.maximum(np.linalg.norm(tags, axis=1), 1e-9)
        best = np.argsort(-sims)[:n]
        top = max(float(sims[best[0]]), 1e-9)
        return {int(shown[b]): max(float(sims[b]) / top, 0.05) for b in best}
