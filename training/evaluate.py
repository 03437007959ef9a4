"""`mri eval offline`: tags -> songs quality on held-out Arena playlists, MRI vs baselines.

Query = a playlist's tags, answer = its songs. Every method ranks every Arena song of the
catalog (named songs placed from metadata alone have no Arena id and can never be an answer, so
they are left out) and is scored with nDCG@100 and recall@100 (training/metrics.py). Answer
songs missing from the catalog count as misses. A query without any known tag falls back to the
popularity ranking, for every method alike. Baselines:

- popular       songs by how many training playlists hold them;
- seed_mean     the seed project's method: a song is the mean text embedding (multilingual-e5)
                of the tags of the playlists that contain it; the query is the mean of its tags;
- cooccurrence  sum over query tags t of idf(t)/sqrt(df(t)) * #(playlists with t and song).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from core.catalog import Catalog
from core.errors import CatalogError
from core.recommender import Recommender, RerankConfig
from core.textembed import embed_passages
from core.textnorm import tag_key
from training.metrics import ndcg_at, recall_at
from training.playlists import Playlist

log = logging.getLogger(__name__)
K = 100

Ranker = Callable[[dict[int, float]], np.ndarray]


@dataclass(frozen=True)
class Score:
    ndcg: float
    recall: float

    def as_dict(self) -> dict[str, float]:
        return {f"ndcg@{K}": round(self.ndcg, 5), f"recall@{K}": round(self.recall, 5)}


def _top(scores: np.ndarray, k: int = K) -> np.ndarray:
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


class Baselines:
    """The three reference methods, computed from a full catalog's song-tag counts."""

    def __init__(self, catalog: Catalog) -> None:
        path = catalog.path / "song_tag_counts.npz"
        if not path.is_file():
            raise CatalogError(
                f"{catalog.path} has no song_tag_counts.npz: offline evaluation needs a full "
                "catalog (built without --compact)"
            )
        self.counts = sp.load_npz(path).tocsc()  # songs x tags
        self.popularity = catalog.song_popularity
        self.arena = np.array([s.arena_id is not None for s in catalog.songs], dtype=bool)
        self.popular_order = self._top(self.popularity.astype(np.float64))
        df = np.maximum(catalog.tag_counts.astype(np.float64), 1.0)
        total = float(catalog.manifest["counts"]["training_playlists"])
        self.idf = (np.log(total / (1.0 + df)).clip(min=0.0) / np.sqrt(df)).astype(np.float32)
        self.tag_text = self._tag_text(catalog)
        norms = np.asarray(self.counts.sum(axis=1)).ravel()
        means = sp.diags(1.0 / np.maximum(norms, 1.0)) @ self.counts.tocsr() @ self.tag_text
        self.seed_songs = means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)

    @staticmethod
    def _tag_text(catalog: Catalog) -> np.ndarray:
        cache = catalog.path / "cache" / "seed_tag_text.npy"
        if cache.is_file():
            return np.load(cache).astype(np.float32)
        log.info("embedding %d tags with multilingual-e5 (once per catalog)", len(catalog.tag_keys))
        vecs = np.vstack([
            embed_passages(catalog.tag_display[i : i + 256])
            for i in tqdm(range(0, len(catalog.tag_display), 256), desc="e5 tags", unit="batch")
        ])  # fmt: skip
        cache.parent.mkdir(exist_ok=True)
        np.save(cache, vecs.astype(np.float16))
        return vecs

    def _top(self, scores: np.ndarray) -> np.ndarray:
        """Top K rows among the Arena songs."""
        return _top(np.where(self.arena, scores, -np.inf))

    def popular(self, weights: dict[int, float]) -> np.ndarray:
        return self.popular_order

    def cooccurrence(self, weights: dict[int, float]) -> np.ndarray:
        idx = np.fromiter(weights.keys(), dtype=np.int64)
        scores = self.counts[:, idx] @ self.idf[idx]
        return self._top(np.asarray(scores).ravel() + 1e-9 * self.popularity)

    def seed_mean(self, weights: dict[int, float]) -> np.ndarray:
        idx = np.fromiter(weights.keys(), dtype=np.int64)
        q = self.tag_text[idx].mean(axis=0)
        return self._top(self.seed_songs @ q)


def _queries(
    catalog: Catalog, holdout: Sequence[Playlist]
) -> list[tuple[dict[int, float], set[int]]]:
    row_of = {s.arena_id: i for i, s in enumerate(catalog.songs) if s.arena_id is not None}
    out = []
    for p in holdout:
        if not p.tags or not p.songs:
            continue
        weights = {
            catalog.tag_index[k]: 1.0
            for k in {tag_key(t) for t in p.tags}
            if k in catalog.tag_index
        }
        # Songs absent from the catalog stay in the answer as unreachable (-1 - id) items.
        answer = {row_of.get(s, -1 - s) for s in p.songs}
        out.append((weights, answer))
    return out


def evaluate_offline(
    catalog: Catalog, holdout: Sequence[Playlist], rerank: RerankConfig | None = None
) -> dict[str, object]:
    """{method: {ndcg@100, recall@100}, ..., n}: MRI, its dense stage alone, and baselines."""
    base = Baselines(catalog)
    rec = Recommender(catalog, rerank=rerank)
    methods: dict[str, Ranker] = {
        "mri": lambda w: rec.rank(w, K, allowed=base.arena),
        "mri_dense": lambda w: rec.rank(w, K, use_exact=False, allowed=base.arena),
        "popular": base.popular,
        "seed_mean": base.seed_mean,
        "cooccurrence": base.cooccurrence,
    }
    queries = _queries(catalog, holdout)
    sums = {m: np.zeros(2) for m in methods}
    for weights, answer in tqdm(queries, desc="eval offline", unit="playlist"):
        for name, ranker in methods.items():
            ranked = ranker(weights).tolist() if weights else base.popular_order.tolist()
            sums[name] += (ndcg_at(ranked, answer, K), recall_at(ranked, answer, K))
    n = max(len(queries), 1)
    result: dict[str, object] = {m: Score(*(s / n)).as_dict() for m, s in sums.items()}
    result["n"] = len(queries)
    return result


def read_holdout(path: Path) -> list[Playlist]:
    from training.playlists import read_playlists

    return read_playlists(path)
