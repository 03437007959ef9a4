"""The song table of a catalog: Arena songs with learned vectors, named songs placed from
their metadata (training/placement.py), their records, vectors and popularity prior."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from core.textnorm import tag_key
from training.catalog_inputs import BuildConfig, Matrices
from training.placement import (
    fit_chart_prior,
    measure_placement,
    metadata_tags,
    norm_scale,
    place,
    pseudo_count,
    tag_cooccurrence_profiles,
    typical_playlists,
)
from training.songs_io import NamedSong
from training.tagspace import TagSpace
from training.vocab import read_lexicon

log = logging.getLogger(__name__)


def named_song_id(song: NamedSong) -> str:
    """Stable catalog id: `arena:<id>` when the Arena id is known, else a hash of the key."""
    if song.arena_id is not None:
        return f"arena:{song.arena_id}"
    if song.melon_song_id is not None:
        return f"melon:{song.melon_song_id}"
    key = f"{tag_key(song.title)}\t{tag_key(song.artists[0]) if song.artists else ''}"
    return "named:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _song_record(
    sid: str, popularity: float, named: NamedSong | None, arena_id: int | None
) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": sid, "arena_id": arena_id, "popularity": round(popularity, 3)}
    if named is not None:
        rec.update(
            title=named.title,
            artists=list(named.artists),
            album=named.album,
            album_id=named.album_id,
            melon_song_id=named.melon_song_id,
            genres=list(named.genres),
        )
    return rec


@dataclass
class SongTable:
    records: list[dict[str, Any]]
    profiles: sp.csr_matrix  # catalog songs x tags: training-playlist tag counts (0 if placed)
    vectors: np.ndarray
    bias: np.ndarray
    n_extra: int  # placed named songs appended after the Arena rows
    placement_report: dict[str, Any]


def song_table(
    m: Matrices,
    space: TagSpace,
    named: Sequence[NamedSong],
    config: BuildConfig,
) -> SongTable:
    counts = (m.songs.T @ m.tags).tocsr()  # songs x tags
    n = np.asarray(m.songs.sum(axis=0)).ravel().astype(np.float32)
    vectors = space.song_vectors(counts, n)
    bias = space.song_bias(n)
    by_arena = {s.arena_id: s for s in named if s.arena_id is not None}
    row_of = {int(a): i for i, a in enumerate(m.arena_ids)}
    lexicon = read_lexicon()
    ambiguous = set(lexicon)  # artist names that are also descriptive words
    tindex = m.vocab.index()
    profiles = tag_cooccurrence_profiles(m.tags)
    meta = [metadata_tags(s, tindex, ambiguous, config.placement) for s in named]
    learned_n = [(s, float(n[row_of[s.arena_id]])) for s in named if s.arena_id in row_of]
    prior = fit_chart_prior(learned_n)
    log.info("chart popularity prior: %s", prior)
    flat = config.named_pseudo_count
    pseudo = np.array([pseudo_count(s, prior, config.placement, flat) for s in named], np.float32)
    shrink = config.placement.shrink
    background = np.asarray(m.tags.mean(axis=0)).ravel()  # the average playlist's tags
    placed = place(meta, profiles, space, pseudo, shrink, background)
    # Check the placement on Arena songs whose metadata we know (their learned vector exists),
    # and scale placed vectors to the length of learned ones (placed as if with their real n).
    known = [
        (k, row_of[s.arena_id]) for k, s in enumerate(named) if s.arena_id in row_of and meta[k]
    ]
    ks, rs = [k for k, _ in known], [r for _, r in known]
    scale = norm_scale(
        place([meta[k] for k in ks], profiles, space, n[rs], shrink, background), vectors[rs]
    )
    placed *= scale
    report: dict[str, Any] = (
        measure_placement(placed[ks], vectors[rs], vectors) if known else {"n": 0.0}
    )
    log.info("named-song placement vs learned vectors: %s (norm scale %.2f)", report, scale)
    if known and config.prior_playlists > 0:  # metadata as a prior for few playlists
        k_prior = config.prior_playlists
        typical = typical_playlists([meta[k] for k in ks], profiles, shrink, background)
        typical *= scale * k_prior
        vectors[rs] = space.song_vectors((counts[rs] + typical).tocsr(), n[rs] + k_prior)
    report |= {
        "evidence": list(config.placement.evidence()),
        "norm_scale": round(scale, 4),
        "chart_prior": asdict(prior),
    }

    records: list[dict[str, Any]] = []
    keep_rows: list[int] = []
    for i, a in enumerate(m.arena_ids):
        song = by_arena.get(int(a))
        if config.compact and song is None:
            continue
        keep_rows.append(i)
        records.append(_song_record(f"arena:{a}", float(n[i]), song, int(a)))
    extra = [k for k, s in enumerate(named) if s.arena_id not in row_of]
    for k in extra:
        s = named[k]
        records.append(_song_record(named_song_id(s), float(pseudo[k]), s, s.arena_id))
    rows = np.array(keep_rows, dtype=np.int64)
    all_vectors = np.vstack([vectors[rows], placed[extra]]) if extra else vectors[rows]
    all_bias = np.r_[bias[rows], space.song_bias(pseudo[extra])].astype(np.float32)
    profiles = sp.vstack([counts[rows], sp.csr_matrix((len(extra), counts.shape[1]))]).tocsr()
    return SongTable(
        records,
        profiles.astype(np.float32),
        all_vectors.astype(np.float32),
        all_bias,
        len(extra),
        report,
    )
