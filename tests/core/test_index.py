"""The song index: exact search, the MIPS reduction behind approximate kinds, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.index import build_index, load_index

pytestmark = pytest.mark.numeric


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((20, 16)).astype(np.float32)
    vectors = centres[rng.integers(20, size=4000)] + 0.3 * rng.standard_normal((4000, 16))
    vectors *= rng.uniform(0.5, 2.0, size=(4000, 1))  # norms differ, as with popularity
    queries = centres[:10] + 0.1 * rng.standard_normal((10, 16))
    return vectors.astype(np.float32), queries.astype(np.float32)


def test_flat_is_exact_maximum_inner_product(data: tuple[np.ndarray, np.ndarray]) -> None:
    vectors, queries = data
    scores, ids = build_index(vectors, "flat").search(queries, 5)
    expected = np.argsort(-(queries @ vectors.T), axis=1)[:, :5]
    np.testing.assert_array_equal(ids, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ vectors.T, ids, 1), rtol=1e-5)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_kinds_return_inner_products_and_high_recall(
    data: tuple[np.ndarray, np.ndarray], kind: str
) -> None:
    vectors, queries = data
    _, truth = build_index(vectors, "flat").search(queries, 50)
    index = build_index(vectors, kind)  # type: ignore[arg-type]
    scores, ids = index.search(queries, 50)
    recall = np.mean([len(set(a) & set(b)) / 50 for a, b in zip(ids, truth, strict=True)])
    assert recall > 0.8
    exact = np.take_along_axis(queries @ vectors.T, ids, 1)
    np.testing.assert_allclose(scores, exact, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(index.reconstruct(7), vectors[7], rtol=1e-6)


def test_save_and_load_keep_the_reduction(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    vectors, queries = data
    index = build_index(vectors, "ivf")
    index.save(tmp_path / "index.faiss")
    again = load_index(tmp_path / "index.faiss")
    assert (again.kind, again.max_norm, again.d) == (index.kind, index.max_norm, index.d)
    np.testing.assert_array_equal(again.search(queries, 10)[1], index.search(queries, 10)[1])


def test_auto_is_exact_for_small_catalogs(data: tuple[np.ndarray, np.ndarray]) -> None:
    assert build_index(data[0]).kind == "flat"
    assert build_index(data[0][:0]).search(data[1], 5)[1].shape == (10, 0)
