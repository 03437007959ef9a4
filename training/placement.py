"""Place named songs (title + artists, no playlists) into the learned tag space.

A song's vector is a function of its tag profile (what the playlists containing it are tagged
with). A named song has no playlists, but we know its artist (many artists are Arena tags), its
genre, mood labels and lyric keywords. We turn those into the profile of a *typical playlist
that would contain it*: the average tag vector of playlists tagged with each known tag
(one hop through tag co-occurrence), mixed by the metadata weights. That profile goes through
the same profile vectors F as every Arena song. `measure_placement` checks the method on Arena
songs whose metadata we know, against the vectors learned from their real playlists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from core.textnorm import tag_key
from training.songs_io import NamedSong
from training.tagspace import TagSpace

_PAREN = re.compile(r"^(.*?)\s*\((.*?)\)\s*$")


@dataclass(frozen=True)
class PlacementWeights:
    """How much each kind of metadata counts in a named song's profile."""

    artist: float = 1.0
    genre: float = 0.6
    mood: float = 0.6
    keyword: float = 0.3
    max_keywords: int = 10


def artist_aliases(name: str) -> list[str]:
    """'AKMU (악동뮤지션)' -> ['akmu(악동뮤지션)', 'akmu', '악동뮤지션'] as tag keys."""
    out = [tag_key(name)]
    match = _PAREN.match(name)
    if match:
        out += [tag_key(match.group(1)), tag_key(match.group(2))]
    return [a for a in dict.fromkeys(out) if a]


def metadata_tags(
    song: NamedSong,
    tag_index: dict[str, int],
    ambiguous: set[str],
    weights: PlacementWeights,
) -> dict[int, float]:
    """Known tags of a named song with weights (artist names that are also words are skipped)."""
    tags: dict[int, float] = {}

    def add(key: str, w: float) -> None:
        i = tag_index.get(key)
        if i is not None and w > 0:
            tags[i] = max(tags.get(i, 0.0), w)

    for artist in song.artists:
        for alias in artist_aliases(artist):
            if alias not in ambiguous:  # '비' the singer is not '비' the weather
                add(alias, weights.artist)
    for g in song.genres:
        add(g, weights.genre)
    for m in song.moods:
        add(m, weights.mood)
    for k, w in sorted(song.keywords, key=lambda kw: -kw[1])[: weights.max_keywords]:
        add(k, weights.keyword * w)
    return tags


def tag_cooccurrence_profiles(playlist_tags: sp.csr_matrix) -> sp.csr_matrix:
    """Row t = average (binary) tag vector of the playlists tagged t."""
    x = playlist_tags.tocsr().astype(np.float32)
    x.data[:] = 1.0
    gram = (x.T @ x).tocsr()
    counts = np.maximum(gram.diagonal(), 1.0)
    return (sp.diags(1.0 / counts) @ gram).tocsr()  # type: ignore[no-any-return]


def place(
    tags: Sequence[dict[int, float]],
    profiles: sp.csr_matrix,
    space: TagSpace,
    pseudo_count: np.ndarray,
) -> np.ndarray:
    """(songs x dim) vectors for metadata tag weights, as if in `pseudo_count` playlists each."""
    n_tags = profiles.shape[0]
    rows, cols, vals = [], [], []
    for r, t in enumerate(tags):
        total = sum(t.values()) or 1.0
        for i, w in t.items():
            rows.append(r)
            cols.append(i)
            vals.append(w / total)
    mix = sp.csr_matrix((vals, (rows, cols)), shape=(len(tags), n_tags), dtype=np.float32)
    per_playlist = (mix @ profiles).tocsr()  # the typical playlist holding the song
    counts = sp.diags(pseudo_count.astype(np.float32)) @ per_playlist
    return space.song_vectors(counts.tocsr(), pseudo_count)


def measure_placement(
    placed: np.ndarray, learned: np.ndarray, all_songs: np.ndarray
) -> dict[str, float]:
    """Cosine of placed vs learned vectors, and how often the learned song is among the
    100 songs nearest (cosine) to the placed vector."""

    def unit(m: np.ndarray) -> np.ndarray:
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)

    if len(placed) == 0:
        return {"n": 0.0}
    own = np.sum(unit(placed) * unit(learned), axis=1)
    rank = (unit(placed) @ unit(all_songs).T > own[:, None]).sum(axis=1)
    return {
        "n": float(len(placed)),
        "mean_cosine": round(float(own.mean()), 4),
        "recall@100": round(float((rank < 100).mean()), 4),
        "median_rank": float(np.median(rank)),
    }
