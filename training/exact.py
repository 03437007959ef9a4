"""Fit the exact re-ranking model: ridge regression from tag (and tag-pair) features to songs.

    W = (Xᵀ X + λ I)⁻¹ Xᵀ Y,   score(query, song j) = φ(query) · W[:, j]

X holds each playlist's tag features (single tags plus frequent tag pairs, so that "겨울 + 힙합"
can mean more than the sum of its parts), Y its songs. W is never formed: we keep
P = (XᵀX + λI)⁻¹ and C = XᵀY; `core.exact` scores the few hundred candidates that the dense
tag space retrieved.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from core.exact import ExactModel, pair_features

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExactConfig:
    """Ridge strength, how frequent a tag pair must be to get a feature, and its weight."""

    ridge: float = 100.0
    min_pair_count: int = 30
    pair_weight: float = 0.5


def frequent_pairs(tags: sp.csr_matrix, min_count: int) -> np.ndarray:
    """Tag pairs (a < b) that occur together in at least `min_count` playlists."""
    counter: Counter[tuple[int, int]] = Counter()
    for i in range(tags.shape[0]):
        row = np.sort(tags.indices[tags.indptr[i] : tags.indptr[i + 1]])
        counter.update(itertools.combinations(row.tolist(), 2))
    kept = sorted(k for k, c in counter.items() if c >= min_count)
    return np.array(kept, dtype=np.int32).reshape(-1, 2)


def fit_exact(
    tags: sp.csr_matrix,
    songs: sp.csr_matrix,
    playlist_weights: np.ndarray,
    config: ExactConfig,
    threads: int = 2,
) -> ExactModel:
    """Closed-form ridge fit; the inverse comes from a float32 Cholesky factorisation."""
    torch.set_num_threads(threads)
    pairs = frequent_pairs(tags.tocsr(), config.min_pair_count)
    feats = pair_features(tags, pairs, config.pair_weight)
    root_w = sp.diags(np.sqrt(playlist_weights).astype(np.float32))
    xw = (root_w @ feats).tocsr()
    gram = torch.from_numpy((xw.T @ xw).toarray().astype(np.float32))
    gram.diagonal().add_(config.ridge)
    inverse = torch.cholesky_inverse(torch.linalg.cholesky(gram)).numpy()
    cooc = (xw.T @ (root_w @ songs.tocsr().astype(np.float32))).tocsc().astype(np.float32)
    log.info("exact model: %d tags + %d pairs, C nnz %d", tags.shape[1], len(pairs), cooc.nnz)
    return ExactModel(
        pairs=pairs,
        inverse_gram=inverse.astype(np.float16),
        cooccurrence=cooc,
        pair_weight=config.pair_weight,
    )
