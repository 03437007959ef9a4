"""Hub correction: a song may not win for every photo.

In a learned space some songs sit close to almost every query (a generic placement, a large
norm) and would appear in most replies. We measure that against typical queries — the
descriptive tags of real playlists, stored with the catalog as `hub_queries.npy` — and give each
named song a penalty that grows with how well it scores for *all* of them, the "inverted
softmax" of cross-modal retrieval (Smith et al., ICLR 2017):

    reach(s) = T * log mean_q exp(q . s / T),    hub(s) = max(0, reach(s) - median reach)

T between 0 (reach = the song's best score over the queries) and infinity (its mean score:
centring the queries) sets what counts as reach; only reach above the median song's is
penalised, so songs far from every query are not pushed up instead. The recommender ranks by
`q . s + popularity - strength * hub(s)`; strength 0 switches the correction off, and the
popularity prior is not part of hub(s), so well-known songs stay preferred.
"""

from __future__ import annotations

import numpy as np

HUB_QUERIES = "hub_queries.npy"
CHUNK = 512  # queries per matrix product (bounds the temporary memory)


def hub_penalties(songs: np.ndarray, queries: np.ndarray, temperature: float) -> np.ndarray:
    """(songs,) penalties: each song's reach above the median song's, never below 0."""
    if len(songs) == 0 or len(queries) == 0:
        return np.zeros(len(songs), dtype=np.float32)
    r = reach(songs, queries, temperature)
    # Only reach above the typical song's counts against a song: rewarding songs that are far
    # from every query (centring's side effect) would turn them into the new hubs.
    return np.maximum(r - np.median(r), 0.0).astype(np.float32)


def reach(songs: np.ndarray, queries: np.ndarray, temperature: float) -> np.ndarray:
    """(songs,) T * log mean_q exp(q . s / T) over the reference queries (chunked, stable)."""
    n = len(songs)
    if n == 0 or len(queries) == 0:
        return np.zeros(n, dtype=np.float32)
    t = max(float(temperature), 1e-6)
    songs = np.asarray(songs, dtype=np.float32)
    peak = np.full(n, -np.inf, dtype=np.float64)
    total = np.zeros(n, dtype=np.float64)
    for start in range(0, len(queries), CHUNK):
        scores = np.asarray(queries[start : start + CHUNK], dtype=np.float32) @ songs.T / t
        new_peak = np.maximum(peak, scores.max(axis=0))
        total = total * np.exp(peak - new_peak) + np.exp(scores - new_peak).sum(axis=0)
        peak = new_peak
    return (t * (peak + np.log(total / len(queries)))).astype(np.float32)
