"""What a catalog is built from: the build settings, the input files, and the playlist matrices."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from core.index import IndexKind
from core.textnorm import tag_key
from training.exact import ExactConfig
from training.placement import PlacementWeights
from training.playlists import Playlist, read_many
from training.tagspace import TagSpace, TagSpaceConfig
from training.vocab import Vocabulary, build_vocabulary, read_lexicon

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildConfig:
    """Everything that shapes a catalog besides its input files (recorded in the manifest)."""

    min_tag_count: int = 3
    max_tags: int = 10_000
    min_song_count: int = 2
    complete_weight: float = 2.0
    compact: bool = False
    named_pseudo_count: float = 10.0
    # A named song that is also in playlists: its metadata counts as this many playlists more
    # (a prior that the playlists update; songs in few playlists have noisy profiles). It makes
    # learned and placed songs comparable where both are served (a compact catalog); a full
    # catalog keeps every learned vector as learned (None: 10 when compact, else 0).
    named_prior_playlists: float | None = None
    index_kind: IndexKind = "auto"
    hub_queries: int = 2000  # typical queries kept for the hub correction (core/hubness.py)
    tag_space: TagSpaceConfig = field(default_factory=TagSpaceConfig)
    exact: ExactConfig = field(default_factory=ExactConfig)
    placement: PlacementWeights = field(default_factory=PlacementWeights)

    @property
    def prior_playlists(self) -> float:
        if self.named_prior_playlists is not None:
            return self.named_prior_playlists
        return 10.0 if self.compact else 0.0


@dataclass(frozen=True)
class Inputs:
    """Input files: complete playlists, partial playlists, tag-only playlists, named songs."""

    playlists: Sequence[Path]
    partial: Sequence[Path] = ()
    tag_playlists: Sequence[Path] = ()
    exclude: Sequence[Path] = ()
    songs: Sequence[Path] = ()

    def all_files(self) -> list[tuple[str, Path]]:
        groups = ("playlists", "partial", "tag_playlists", "exclude", "songs")
        return [(g, Path(p)) for g in groups for p in getattr(self, g)]


@dataclass
class Matrices:
    vocab: Vocabulary
    tags: sp.csr_matrix  # playlists x tags
    songs: sp.csr_matrix  # playlists x catalog songs
    weights: np.ndarray  # per playlist
    arena_ids: np.ndarray  # catalog song row -> Arena id


def _excluded_ids(paths: Sequence[Path]) -> set[int]:
    return {p.id for p in read_many(paths) if p.id is not None}


def read_matrices(inputs: Inputs, config: BuildConfig, keep_arena: set[int]) -> Matrices:
    excluded = _excluded_ids(inputs.exclude)
    complete = [p for p in read_many(inputs.playlists) if p.id not in excluded]
    partial = [p for p in read_many(inputs.partial) if p.id not in excluded]
    tag_only = [p for p in read_many(inputs.tag_playlists) if p.id not in excluded]
    with_songs: list[Playlist] = complete + partial
    # Vocabulary: every playlist counts once (a playlist in several files is counted once).
    seen: set[int] = set()
    tag_lists = []
    for p in with_songs + tag_only:
        if p.id is not None:
            if p.id in seen:
                continue
            seen.add(p.id)
        tag_lists.append(p.tags)
    vocab = build_vocabulary(
        tag_lists, min_count=config.min_tag_count, max_size=config.max_tags, lexicon=read_lexicon()
    )
    tindex = vocab.index()
    song_counts: dict[int, int] = {}
    for p in with_songs:
        for s in p.songs:
            song_counts[s] = song_counts.get(s, 0) + 1
    arena = sorted(
        (s for s, c in song_counts.items() if c >= config.min_song_count or s in keep_arena),
        key=lambda s: (-song_counts[s], s),
    )
    sindex = {s: i for i, s in enumerate(arena)}
    t_rows, t_cols, s_rows, s_cols = [], [], [], []
    for r, p in enumerate(tqdm(with_songs, desc="playlists", unit="pl")):
        for t in {tag_key(t) for t in p.tags}:
            if t in tindex:
                t_rows.append(r)
                t_cols.append(tindex[t])
        for s in p.songs:
            if s in sindex:
                s_rows.append(r)
                s_cols.append(sindex[s])
    n = len(with_songs)
    tags = sp.csr_matrix(
        (np.ones(len(t_rows), np.float32), (t_rows, t_cols)), shape=(n, len(vocab))
    )
    songs = sp.csr_matrix(
        (np.ones(len(s_rows), np.float32), (s_rows, s_cols)), shape=(n, len(arena))
    )
    weights = np.r_[np.full(len(complete), config.complete_weight), np.ones(len(partial))]
    log.info(
        "%d playlists (%d complete), %d tags, %d songs", n, len(complete), len(vocab), len(arena)
    )
    return Matrices(vocab, tags, songs, weights.astype(np.float32), np.array(arena, dtype=np.int64))


def hub_queries(m: Matrices, space: TagSpace, count: int, seed: int = 0) -> np.ndarray:
    """Query vectors of `count` training playlists' descriptive (shown) tags, at least two each:
    the typical queries that core/hubness.py measures every song's general reach against."""
    shown = np.array([i for i, c in enumerate(m.vocab.categories) if c], dtype=np.int64)
    tags = m.tags[:, shown].tocsr()
    rows = np.flatnonzero(np.diff(tags.indptr) >= 2)
    if len(rows) == 0 or count <= 0:
        return np.zeros((0, space.query_vectors.shape[1]), dtype=np.float32)
    pick = np.sort(np.random.default_rng(seed).choice(rows, min(count, len(rows)), replace=False))
    chosen = tags[pick]
    sizes = np.sqrt(np.diff(chosen.indptr)).astype(np.float32)[:, None]
    return np.asarray(chosen @ space.query_vectors[shown], dtype=np.float32) / sizes
