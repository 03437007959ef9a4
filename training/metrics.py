"""Ranking metrics for playlist continuation from tags (Arena style)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np


def ndcg_at(ranked: Sequence[int], relevant: Collection[int], k: int = 100) -> float:
    """nDCG@k with binary gains: DCG = sum 1/log2(i+2) over hits at 0-based rank i < k,
    ideal DCG over min(|relevant|, k) hits. 0 when nothing is relevant."""
    if not relevant:
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = sum(discounts[i] for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = discounts[: min(len(relevant), k)].sum()
    return float(dcg / ideal)


def recall_at(ranked: Sequence[int], relevant: Collection[int], k: int = 100) -> float:
    """Hits in the top k over min(|relevant|, k), so a perfect list scores 1."""
    if not relevant:
        return 0.0
    hits = sum(1 for item in ranked[:k] if item in relevant)
    return hits / min(len(relevant), k)
