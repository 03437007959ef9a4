"""The tag-space model learns a small task with a known answer."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from training.tagspace import TagSpaceConfig, train_tag_space


def _task(seed: int = 0) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """8 tags, 80 songs; tag t's playlists draw songs 10t..10t+9 (plus a shared hit)."""
    rng = np.random.default_rng(seed)
    tag_rows, song_rows = [], []
    for _ in range(400):
        t = int(rng.integers(8))
        tag_rows.append([t, *([int(rng.integers(8))] if rng.random() < 0.1 else [])])
        songs = [*rng.choice(np.arange(10 * t, 10 * t + 10), size=4, replace=False).tolist(), 80]
        song_rows.append(songs)

    def csr(rows: list[list[int]], width: int) -> sp.csr_matrix:
        r = [i for i, row in enumerate(rows) for _ in row]
        c = [x for row in rows for x in row]
        m = sp.csr_matrix((np.ones(len(c), np.float32), (r, c)), shape=(len(rows), width))
        m.data[:] = 1.0
        return m

    return csr(tag_rows, 8), csr(song_rows, 81)


def test_loss_falls_and_each_tag_finds_its_songs() -> None:
    tags, songs = _task()
    space = train_tag_space(
        tags, songs, np.ones(tags.shape[0], np.float32),
        TagSpaceConfig(dim=8, epochs=12, batch=32, negatives=40, lr=2e-2, tag_dropout=0.0),
    )  # fmt: skip
    assert space.losses[-1] < space.losses[0] * 0.8
    counts = (songs.T @ tags).tocsr()
    n = np.asarray(songs.sum(axis=0)).ravel()
    vectors = space.song_vectors(counts, n)
    bias = space.song_bias(n)
    hits = 0
    for t in range(8):
        scores = space.query_vectors[t] @ vectors.T + bias
        top10 = set(np.argsort(-scores)[:10].tolist())
        hits += len(top10 & set(range(10 * t, 10 * t + 10)))
    # chance would be ~1 of 10 per tag; the model recovers most of each tag's songs
    assert hits / 80 > 0.7
