"""Weighted tags -> songs: query vector, faiss candidates, re-ranking, reasons.

Two paths share the query vector:
- `recommend` (what people see): named songs only, popularity prior, hub correction
  (core/hubness.py), at most `max_per_artist` songs by one artist and one version of a song
  (core/songkeys.py), and the query tags that chose each song;
- `rank` (offline evaluation over every catalog song): dense candidates from the index,
  re-scored by the exact tag(-pair) model when the catalog has one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from core.catalog import Catalog
from core.domain import ScoredSong, TagWeight
from core.errors import EmptyQuery
from core.hubness import hub_penalties
from core.index import SongIndex, build_index
from core.links import melon_search_url, melon_url
from core.songkeys import SongKey, key_of


@dataclass(frozen=True)
class RerankConfig:
    """Blend of the exact model with the dense score (tuned on a validation split, README)."""

    candidates: int = 1000
    exact_weight: float = 1.0
    dense_weight: float = 0.2
    popularity: float = 0.4


def query_seed(weights: dict[int, float]) -> int:
    """A stable seed for a query: the same tags with the same weights give the same seed."""
    text = ",".join(f"{i}:{w:.3f}" for i, w in sorted(weights.items()))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


class Recommender:
    """Stateless apart from the catalog; safe to share between threads."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        max_per_artist: int = 2,
        popularity_weight: float = 1.0,
        hub_strength: float = 0.0,
        hub_temperature: float = 1.0,
        variety: float = 0.0,
        rerank: RerankConfig | None = None,
    ) -> None:
        self.catalog = catalog
        self.max_per_artist = max_per_artist
        self.popularity_weight = popularity_weight
        self.hub_strength = hub_strength
        self.hub_temperature = hub_temperature
        self.variety = variety
        self.rerank = rerank or RerankConfig()

    @cached_property
    def _named_rows(self) -> np.ndarray:
        """(named songs, dim + 1) [vector | bias] rows, as the catalog's named index holds them."""
        index = self.catalog.named_index
        return np.asarray(index.index.reconstruct_n(0, index.ntotal), dtype=np.float32)

    @cached_property
    def hub(self) -> np.ndarray:
        """(named songs,) hub penalties against the catalog's typical queries (0 without)."""
        rows = self._named_rows[:, :-1]
        return hub_penalties(rows, self.catalog.hub_queries, self.hub_temperature)

    @cached_property
    def serving_index(self) -> SongIndex:
        """Named songs as [vector | bias | hub]: a query [q | popularity | -strength] ranks
        them by q.s + popularity * bias - strength * hub in one exact search."""
        return build_index(np.hstack([self._named_rows, self.hub[:, None]]), "flat")

    @cached_property
    def song_keys(self) -> list[SongKey]:
        """core.songkeys key of every named song (versions of one song share it)."""
        songs = self.catalog.songs
        return [
            key_of(songs[int(r)].title or "", songs[int(r)].artists) for r in self.catalog.named
        ]

    # -- query -------------------------------------------------------------------------

    def resolve(self, tags: Sequence[TagWeight]) -> dict[int, float]:
        """Catalog tag index -> weight for the tags the catalog knows (others are dropped)."""
        out: dict[int, float] = {}
        for t in tags:
            i = self.catalog.tag_index.get(t.tag)
            if i is not None and t.weight > 0:
                out[i] = max(out.get(i, 0.0), float(t.weight))
        return out

    def query_vector(self, weights: dict[int, float], popularity: float = 1.0) -> np.ndarray:
        """[sum_t w_t E_t / ||w||, popularity] (matches how the tag space was trained)."""
        if not weights:
            raise EmptyQuery("none of the query tags is in the catalog")
        idx = np.fromiter(weights.keys(), dtype=np.int64)
        w = np.fromiter(weights.values(), dtype=np.float32)
        h = (w / np.linalg.norm(w)) @ self.catalog.tag_vectors[idx]
        return np.r_[h, popularity].astype(np.float32)

    # -- evaluation path -----------------------------------------------------------------

    def rank(
        self,
        weights: dict[int, float],
        k: int = 100,
        *,
        use_exact: bool = True,
        allowed: np.ndarray | None = None,
    ) -> np.ndarray:
        """Top-k catalog rows over every song (Arena songs included); `allowed` (a bool per
        catalog row) leaves the others out of the candidates."""
        cfg = self.rerank
        q = self.query_vector(weights)
        exact = self.catalog.exact if use_exact else None
        n = k if exact is None else max(k, cfg.candidates)
        # Left-out rows must not take candidate places: search deeper, keep n allowed ones.
        depth = n if allowed is None else min(2 * n + int((~allowed).sum()), len(allowed))
        dense, rows = self.catalog.index.search(q, depth)
        dense, rows = dense[0], rows[0]
        keep = rows >= 0
        if allowed is not None:
            keep &= allowed[np.maximum(rows, 0)]
        dense, rows = dense[keep][:n], rows[keep][:n]
        if exact is None or len(rows) == 0:
            return rows[:k]
        ex = exact.scores(weights, rows)
        top = float(ex.max()) if len(ex) else 0.0
        floor = max(top, 1e-6) * 1e-3
        pop = np.log1p(self.catalog.song_popularity[rows])
        score = cfg.exact_weight * np.log(np.maximum(ex, floor)) + cfg.popularity * pop
        score = score + cfg.dense_weight * dense
        return rows[np.argsort(-score, kind="stable")[:k]]

    # -- what people see ------------------------------------------------------------------

    def recommend(
        self, tags: Sequence[TagWeight], top_k: int = 10, *, seed: int | None = None
    ) -> tuple[ScoredSong, ...]:
        """Named songs for weighted tags, diverse by artist, each with the tags that chose it.

        With `variety` > 0 the list is drawn from the candidates by the Gumbel-max trick
        (Plackett-Luce with temperature `variety`): each song's score gets Gumbel noise of that
        scale, so near-ties change places and two similar photos get different lists, while a
        song far below the best rarely gets in. The noise is seeded by `seed`, else by the query
        itself, so one query always gets one list (and `mri eval served` sees what is served).
        A song's `score` is the one that ranked it, noise included."""
        weights = self.resolve(tags)
        q = np.r_[self.query_vector(weights, self.popularity_weight), -self.hub_strength]
        named = self.catalog.named
        if len(named) == 0:
            return ()
        pool = min(len(named), max(top_k * 10, 100))
        found, local = self.serving_index.search(q.astype(np.float32), pool)
        scores, local = found[0], local[0]
        if self.variety > 0:
            rng = np.random.default_rng(query_seed(weights) if seed is None else seed)
            scores = scores + self.variety * rng.gumbel(size=len(scores)).astype(np.float32)
            order = np.argsort(-scores, kind="stable")
            scores, local = scores[order], local[order]
        chosen: list[tuple[int, float]] = []
        per_artist: dict[str, int] = {}
        seen: set[SongKey] = set()
        for score, j in zip(scores, local, strict=True):
            if j < 0 or self.song_keys[j] in seen:
                continue
            row = int(named[j])
            artist = self.song_keys[j][1]
            if per_artist.get(artist, 0) >= self.max_per_artist:
                continue
            per_artist[artist] = per_artist.get(artist, 0) + 1
            seen.add(self.song_keys[j])
            chosen.append((row, float(score)))
            if len(chosen) == top_k:
                break
        return tuple(self.scored(row, score, weights) for row, score in chosen)

    def because(self, row: int, weights: dict[int, float], limit: int = 3) -> tuple[str, ...]:
        """The shown query tags contributing most to this song's score (largest first)."""
        vec = self.catalog.song_vector(row)[:-1]
        norm = float(np.linalg.norm(np.fromiter(weights.values(), dtype=np.float32))) or 1.0
        parts = []
        for i, w in weights.items():
            if self.catalog.tag_categories[i]:
                parts.append((w / norm * float(self.catalog.tag_vectors[i] @ vec), i))
        parts.sort(reverse=True)
        return tuple(self.catalog.tag_display[i] for c, i in parts[:limit] if c > 0)

    def scored(self, row: int, score: float, weights: dict[int, float]) -> ScoredSong:
        song = self.catalog.songs[row]
        return ScoredSong(
            song=song,
            score=score,
            because=self.because(row, weights),
            melon_url=melon_url(song),
            melon_search_url=melon_search_url(song),
        )
