"""Weighted tags -> songs: query vector, faiss candidates, re-ranking, reasons.

Two paths share the query vector:
- `recommend` (what people see): named songs only, popularity prior, at most
  `max_per_artist` songs by one artist, and the query tags that chose each song;
- `rank` (offline evaluation over every catalog song): dense candidates from the index,
  re-scored by the exact tag(-pair) model when the catalog has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.catalog import Catalog
from core.domain import ScoredSong, TagWeight
from core.errors import EmptyQuery
from core.links import melon_search_url, melon_url


@dataclass(frozen=True)
class RerankConfig:
    """Blend of the exact model with the dense score (tuned on a validation split, README)."""

    candidates: int = 1000
    exact_weight: float = 1.0
    dense_weight: float = 0.2
    popularity: float = 0.4


class Recommender:
    """Stateless apart from the catalog; safe to share between threads."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        max_per_artist: int = 2,
        popularity_weight: float = 1.0,
        rerank: RerankConfig | None = None,
    ) -> None:
        self.catalog = catalog
        self.max_per_artist = max_per_artist
        self.popularity_weight = popularity_weight
        self.rerank = rerank or RerankConfig()

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
        self, weights: dict[int, float], k: int = 100, *, use_exact: bool = True
    ) -> np.ndarray:
        """Top-k catalog rows over every song (Arena songs included)."""
        cfg = self.rerank
        q = self.query_vector(weights)
        exact = self.catalog.exact if use_exact else None
        dense, rows = self.catalog.index.search(q, k if exact is None else max(k, cfg.candidates))
        dense, rows = dense[0], rows[0]
        keep = rows >= 0
        dense, rows = dense[keep], rows[keep]
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

    def recommend(self, tags: Sequence[TagWeight], top_k: int = 10) -> tuple[ScoredSong, ...]:
        """Named songs for weighted tags, diverse by artist, each with the tags that chose it."""
        weights = self.resolve(tags)
        q = self.query_vector(weights, self.popularity_weight)
        named = self.catalog.named
        if len(named) == 0:
            return ()
        pool = min(len(named), max(top_k * 10, 100))
        scores, local = self.catalog.named_index.search(q, pool)
        chosen: list[tuple[int, float]] = []
        per_artist: dict[str, int] = {}
        for score, j in zip(scores[0], local[0], strict=True):
            if j < 0:
                continue
            row = int(named[j])
            song = self.catalog.songs[row]
            artist = song.artists[0].casefold() if song.artists else ""
            if per_artist.get(artist, 0) >= self.max_per_artist:
                continue
            per_artist[artist] = per_artist.get(artist, 0) + 1
            chosen.append((row, float(score)))
            if len(chosen) == top_k:
                break
        return tuple(self._scored(row, score, weights) for row, score in chosen)

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

    def _scored(self, row: int, score: float, weights: dict[int, float]) -> ScoredSong:
        song = self.catalog.songs[row]
        return ScoredSong(
            song=song,
            score=score,
            because=self.because(row, weights),
            melon_url=melon_url(song),
            melon_search_url=melon_search_url(song),
        )
