"""`mri catalog build`: Arena-format playlists (+ named songs) -> a versioned catalog folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

import core
from core import catalog as cat
from core.config import RESOURCES
from core.errors import InputFileError
from core.index import IndexKind, build_index
from core.textembed import embed_passages, embed_queries
from core.textnorm import tag_key
from training.exact import ExactConfig, fit_exact
from training.placement import (
    PlacementWeights,
    measure_placement,
    metadata_tags,
    place,
    tag_cooccurrence_profiles,
)
from training.playlists import Playlist, read_many
from training.songs_io import NamedSong, read_named_songs
from training.tagspace import TagSpace, TagSpaceConfig, train_tag_space
from training.vocab import Vocabulary, build_vocabulary, read_lexicon, write_vocabulary

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
    index_kind: IndexKind = "auto"
    tag_space: TagSpaceConfig = field(default_factory=TagSpaceConfig)
    exact: ExactConfig = field(default_factory=ExactConfig)
    placement: PlacementWeights = field(default_factory=PlacementWeights)


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
class _Matrices:
    vocab: Vocabulary
    tags: sp.csr_matrix  # playlists x tags
    songs: sp.csr_matrix  # playlists x catalog songs
    weights: np.ndarray  # per playlist
    arena_ids: np.ndarray  # catalog song row -> Arena id


def _excluded_ids(paths: Sequence[Path]) -> set[int]:
    return {p.id for p in read_many(paths) if p.id is not None}


def _matrices(inputs: Inputs, config: BuildConfig, keep_arena: set[int]) -> _Matrices:
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
    return _Matrices(
        vocab, tags, songs, weights.astype(np.float32), np.array(arena, dtype=np.int64)
    )


# ------------------------------------------------------------------------- named songs


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


def _pseudo_count(song: NamedSong, base: float) -> float:
    """A named song's stand-in for 'playlists containing it': higher for top chart ranks."""
    if song.rank is None:
        return base
    return float(base * (1.0 + 2.0 / np.sqrt(song.rank)))


@dataclass
class _SongTable:
    records: list[dict[str, Any]]
    profiles: sp.csr_matrix  # catalog songs x tags: training-playlist tag counts (0 if placed)
    vectors: np.ndarray
    bias: np.ndarray
    n_extra: int  # placed named songs appended after the Arena rows
    placement_report: dict[str, float]


def _songs(
    m: _Matrices,
    space: TagSpace,
    named: Sequence[NamedSong],
    config: BuildConfig,
) -> _SongTable:
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
    pseudo = np.array([_pseudo_count(s, config.named_pseudo_count) for s in named], np.float32)
    placed = place(meta, profiles, space, pseudo)
    # Check the placement on Arena songs whose metadata we know (their learned vector exists).
    known = [
        (k, row_of[s.arena_id])
        for k, s in enumerate(named)
        if s.arena_id is not None and s.arena_id in row_of and meta[k]
    ]
    report = (
        measure_placement(placed[[k for k, _ in known]], vectors[[r for _, r in known]], vectors)
        if known
        else {"n": 0.0}
    )
    log.info("named-song placement vs learned vectors: %s", report)

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
    return _SongTable(
        records,
        profiles.astype(np.float32),
        all_vectors.astype(np.float32),
        all_bias,
        len(extra),
        report,
    )


# ----------------------------------------------------------------------------- writing


@lru_cache(maxsize=1)
def _imagenet_label_embeddings() -> np.ndarray:
    labels = (RESOURCES / "imagenet_classes.txt").read_text(encoding="utf-8").splitlines()
    return embed_queries(labels)


def _text_arrays(vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """e5 embeddings of the shown tags, and ImageNet label -> shown tag similarities."""
    shown = [vocab.display[i] for i, c in enumerate(vocab.categories) if c]
    passages = embed_passages(shown)
    return passages, _imagenet_label_embeddings() @ passages.T


def _code_version() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True, cwd=Path(__file__).parent, timeout=5,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        rev = "unknown"
    return f"mri {core.__version__} ({rev})"


def _save_npy(folder: Path, name: str, array: np.ndarray, dtype: type) -> None:
    np.save(folder / name, np.ascontiguousarray(array, dtype=dtype))


def build_catalog(inputs: Inputs, out: Path, config: BuildConfig | None = None) -> dict[str, Any]:
    """Build a catalog folder at `out` (replaced atomically) and return its manifest."""
    config = config or BuildConfig()
    started = time.monotonic()
    stages: dict[str, float] = {}

    def lap(name: str) -> None:
        stages[name] = round(time.monotonic() - started - sum(stages.values()), 1)

    named = read_named_songs(list(inputs.songs)) if inputs.songs else []
    keep = {s.arena_id for s in named if s.arena_id is not None}
    m = _matrices(inputs, config, keep)
    lap("read_and_count")
    try:
        space = train_tag_space(m.tags, m.songs, m.weights, config.tag_space)
    except InputFileError as exc:  # name the files: the reader may have given several
        files = ", ".join(str(p) for p in [*inputs.playlists, *inputs.partial])
        raise InputFileError(f"{files}: {exc}") from None
    lap("tag_space")
    table = _songs(m, space, named, config)
    lap("song_vectors_and_placement")
    exact = None if config.compact else fit_exact(m.tags, m.songs, m.weights, config.exact)
    lap("exact_model")
    passages, affinity = _text_arrays(m.vocab)
    lap("text_embeddings")

    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    store = np.float16 if config.compact else np.float32
    write_vocabulary(m.vocab, tmp / "tags.tsv")
    _save_npy(tmp, "tag_vectors.npy", space.query_vectors, store)
    _save_npy(tmp, "profile_vectors.npy", space.profile_vectors, store)
    _save_npy(tmp, "tag_text.npy", passages, np.float16)
    _save_npy(tmp, "imagenet_affinity.npy", affinity, np.float16)
    # Vectors are stored (and indexed) as they will be read back, so a rebuilt catalog matches.
    vectors = table.vectors.astype(store).astype(np.float32)
    bias = table.bias.astype(store).astype(np.float32)
    _save_npy(tmp, "song_vectors.npy", vectors, store)
    _save_npy(tmp, "song_bias.npy", bias, store)
    with open(tmp / "songs.jsonl", "w", encoding="utf-8") as f:
        for rec in table.records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    index = build_index(np.hstack([vectors, bias[:, None]]), config.index_kind)
    index.save(tmp / "index.faiss")
    if not config.compact:  # raw profiles: baselines in `mri eval offline`, future re-fits
        sp.save_npz(tmp / "song_tag_counts.npz", table.profiles)
    if exact is not None:
        (tmp / "exact").mkdir()
        np.save(tmp / "exact/pairs.npy", exact.pairs)
        np.save(tmp / "exact/inverse_gram.npy", np.ascontiguousarray(exact.inverse_gram))
        pad = sp.csc_matrix((exact.cooccurrence.shape[0], table.n_extra), dtype=np.float32)
        sp.save_npz(tmp / "exact/cooccurrence.npz", sp.hstack([exact.cooccurrence, pad]).tocsc())

    lap("write_and_index")
    manifest = _manifest(
        tmp, inputs, config, m, table, exact is not None, time.monotonic() - started
    )
    manifest["stage_seconds"] = stages
    (tmp / cat.MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    log.info(
        "catalog %s written to %s in %.0f s", manifest["version"], out, manifest["build_seconds"]
    )
    return manifest


def _manifest(
    folder: Path,
    inputs: Inputs,
    config: BuildConfig,
    m: _Matrices,
    table: _SongTable,
    has_exact: bool,
    seconds: float,
) -> dict[str, Any]:
    files = {
        str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": cat.file_digest(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    input_rows = [
        {"role": role, "name": p.name, "sha256": cat.file_digest(p)}
        for role, p in inputs.all_files()
    ]
    params = {
        **{k: v for k, v in asdict(config).items() if k not in ("tag_space", "exact", "placement")},
        "tag_space": asdict(config.tag_space),
        "exact": asdict(config.exact),
        "placement": asdict(config.placement),
    }
    identity = json.dumps({"inputs": input_rows, "params": params, "files": files}, sort_keys=True)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:10]
    n_named = sum(1 for r in table.records if r.get("title") and r.get("artists"))
    return {
        "format": cat.FORMAT,
        "format_version": cat.FORMAT_VERSION,
        "version": f"{'compact' if config.compact else 'full'}-{digest}",
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 1),
        "code_version": _code_version(),
        "inputs": input_rows,
        "counts": {
            "tags": len(m.vocab),
            "shown_tags": sum(1 for c in m.vocab.categories if c),
            "songs": len(table.records),
            "named_songs": n_named,
            "training_playlists": int(m.tags.shape[0]),
        },
        "dims": {"tag_space": int(table.vectors.shape[1]), "text": 384},
        "params": params,
        "exact": has_exact,
        "placement_check": table.placement_report,
        "files": files,
    }


# ------------------------------------------------------------------ the embedded default

ARENA = "melon_kakao_arena_subset"


def default_inputs(shared: Path, named_songs: Path) -> Inputs:
    """The shared-data files the embedded default catalog is built from."""
    arena = shared / ARENA
    return Inputs(
        playlists=[arena / "train_complete_playlists.json"],
        partial=[arena / "train_partial_playlists.json"],
        tag_playlists=[arena / "playlist_tags_all.json"],
        songs=[named_songs],
    )


def build_default(shared: Path, out: Path, named_songs: Path | None = None) -> dict[str, Any]:
    """Rebuild the compact catalog shipped in core/resources/catalog from ../shared/data.

    Named songs come from `training.named_songs` (lyrics are analysed, never stored)."""
    import tempfile

    from training.named_songs import build_named_songs
    from training.songs_io import write_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        if named_songs is None:
            named_songs = Path(tmp) / "named_songs.jsonl"
            write_jsonl(build_named_songs(shared), named_songs)
        return build_catalog(default_inputs(shared, named_songs), out, BuildConfig(compact=True))
