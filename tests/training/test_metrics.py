"""nDCG@k and recall@k against values computed by hand."""

from __future__ import annotations

import math

import pytest

from training.metrics import ndcg_at, recall_at

pytestmark = pytest.mark.numeric


def test_ndcg_hand_computed() -> None:
    # hits at ranks 0 and 2 of 3 relevant items: DCG = 1/log2(2) + 1/log2(4) = 1.5
    # ideal: 1 + 1/log2(3) + 1/log2(4) = 2.1309...
    expected = 1.5 / (1 + 1 / math.log2(3) + 0.5)
    assert ndcg_at([10, 11, 12, 13], {10, 12, 99}, k=100) == pytest.approx(expected)


def test_ndcg_ideal_is_capped_at_k() -> None:
    # 5 relevant items but k = 2: a perfect top-2 scores 1
    assert ndcg_at([1, 2, 3], {1, 2, 3, 4, 5}, k=2) == pytest.approx(1.0)
    # only the second slot hits: (1/log2(3)) / (1 + 1/log2(3))
    assert ndcg_at([9, 2], {1, 2, 3}, k=2) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )


def test_hits_beyond_k_do_not_count() -> None:
    assert ndcg_at([0, 1, 2], {2}, k=2) == 0.0
    assert recall_at([0, 1, 2], {2}, k=2) == 0.0


def test_recall_over_min_of_answer_and_k() -> None:
    assert recall_at([1, 2, 3, 4], {1, 3, 7, 8}, k=4) == pytest.approx(0.5)
    assert recall_at([1, 2], {1, 2, 3, 4, 5}, k=2) == pytest.approx(1.0)


def test_empty_answer_scores_zero() -> None:
    assert ndcg_at([1, 2], set()) == 0.0 and recall_at([1, 2], set()) == 0.0
