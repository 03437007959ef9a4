"""The tagger interface and the steps every tagger shares (scoring, expansion, top-k)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
from PIL import Image

from core.catalog import Catalog
from core.domain import TaggerOutput, TagWeight


class Tagger(Protocol):
    """Image -> weighted Korean tags from the catalog vocabulary (strongest first)."""

    name: str
    version: str

    def tag(self, image: Image.Image) -> list[TagWeight]: ...

    def tag_batch(self, images: Sequence[Image.Image]) -> list[TaggerOutput]:
        """Several photos at once (one model call where the model allows), with captions."""
        ...


class TagScores:
    """Accumulates evidence for shown catalog tags from several sources."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.scores: defaultdict[int, float] = defaultdict(float)

    def add(self, key: str, weight: float) -> None:
        """Add evidence for a tag key; keys the catalog does not show are ignored."""
        i = self.catalog.tag_index.get(key)
        if i is not None and weight > 0 and self.catalog.tag_categories[i]:
            self.scores[i] += weight

    def add_many(self, pairs: Iterable[tuple[str, float]], scale: float = 1.0) -> None:
        for key, weight in pairs:
            self.add(key, weight * scale)

    def expand(
        self, top: int = 5, neighbours: int = 3, strength: float = 0.3, min_similarity: float = 0.0
    ) -> None:
        """Let the strongest tags pull in their nearest shown tags in the learned tag space
        (바다 -> 여름, 해변 ...): cosine of query-side tag vectors, scaled by the source; only
        neighbours at least `min_similarity` close."""
        if not self.scores:
            return
        shown = self.catalog.shown
        unit = self.catalog.tag_vectors[shown]
        unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
        position = {int(t): k for k, t in enumerate(shown)}
        best = sorted(self.scores.items(), key=lambda kv: -kv[1])[:top]
        extra: defaultdict[int, float] = defaultdict(float)
        for i, score in best:
            sims = unit @ unit[position[i]]
            sims[position[i]] = -1.0
            for k in np.argsort(-sims)[:neighbours]:
                if sims[k] > max(min_similarity, 0.0):
                    extra[int(shown[k])] += strength * score * float(sims[k])
        for i, w in extra.items():
            self.scores[i] += w

    def top(self, k: int, min_weight: float = 0.08) -> list[TagWeight]:
        """The k strongest tags, weights scaled so the first is 1."""
        ranked = sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        if not ranked or ranked[0][1] <= 0:
            return []
        head = ranked[0][1]
        return [
            TagWeight(self.catalog.tag_keys[i], round(s / head, 4))
            for i, s in ranked
            if s / head >= min_weight
        ]


def parse_tag_weights(cell: str) -> list[tuple[str, float]]:
    """'바다:1.0,여름:0.5,해변' -> [('바다', 1.0), ('여름', 0.5), ('해변', 1.0)]."""
    pairs = []
    for item in cell.split(","):
        tag, _, weight = item.strip().partition(":")
        pairs.append((tag, float(weight) if weight else 1.0))
    return pairs
