"""The exact re-ranker's features and its on-disk row reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from core.exact import ExactModel, NpyRows, pair_features

pytestmark = pytest.mark.numeric


def test_pair_features_by_hand() -> None:
    weights = sp.csr_matrix(np.array([[1.0, 0.0, 4.0, 1.0]], dtype=np.float32))
    pairs = np.array([[0, 2], [2, 3], [1, 3]], dtype=np.int32)
    phi = pair_features(weights, pairs, pair_weight=0.5).toarray()[0]
    norm = np.sqrt(1 + 16 + 1)
    expected = np.array([1, 0, 4, 1, 0.5 * 2, 0.5 * 2, 0]) / norm  # sqrt(1*4)=2, sqrt(4*1)=2
    np.testing.assert_allclose(phi, expected, rtol=1e-6)


def test_npy_rows_reads_only_the_asked_rows(tmp_path: Path) -> None:
    array = np.arange(60, dtype=np.float16).reshape(6, 10)
    np.save(tmp_path / "p.npy", array)
    rows = NpyRows(tmp_path / "p.npy")
    assert rows.shape == (6, 10)
    np.testing.assert_array_equal(rows.take(np.array([4, 1])), array[[4, 1]].astype(np.float32))
    rows.close()


def test_npy_rows_refuses_fortran_order(tmp_path: Path) -> None:
    np.save(tmp_path / "f.npy", np.asfortranarray(np.ones((3, 4), dtype=np.float16)))
    with pytest.raises(ValueError, match="C-ordered"):
        NpyRows(tmp_path / "f.npy")


def test_scores_agree_in_memory_and_on_disk(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    gram = rng.standard_normal((5, 5)).astype(np.float16)
    np.save(tmp_path / "p.npy", gram)
    cooc = sp.random(5, 8, density=0.5, random_state=1, format="csc", dtype=np.float32)
    pairs = np.array([[0, 1]], dtype=np.int32)
    in_memory = ExactModel(pairs, gram, cooc, 0.5)
    on_disk = ExactModel(pairs, NpyRows(tmp_path / "p.npy"), cooc, 0.5)
    candidates = np.array([0, 3, 7])
    np.testing.assert_allclose(
        in_memory.scores({0: 1.0, 1: 0.5}, candidates),
        on_disk.scores({0: 1.0, 1: 0.5}, candidates),
        rtol=1e-6,
    )
