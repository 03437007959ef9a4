"""`mri catalog build`: Arena-format playlists (+ named songs) -> a versioned catalog folder.

Stages: read the playlists into matrices (training/catalog_inputs.py), learn the tag space and
the exact re-ranker, place the named songs (training/catalog_songs.py), embed the shown tags,
write and index everything with a manifest (core/catalog.py checks it on load).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

import core
from core import catalog as cat
from core.config import RESOURCES
from core.errors import InputFileError
from core.hubness import HUB_QUERIES
from core.index import build_index
from core.textembed import embed_passages, embed_queries
from training.catalog_inputs import BuildConfig, Inputs, Matrices, hub_queries, read_matrices
from training.catalog_songs import SongTable, song_table
from training.exact import fit_exact
from training.songs_io import NamedSong, read_named_songs
from training.tagspace import TagSpace, train_tag_space
from training.vocab import Vocabulary, write_vocabulary

__all__ = ["BuildConfig", "Inputs", "Prepared", "build_catalog", "build_default", "prepare"]

log = logging.getLogger(__name__)

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


@dataclass
class Prepared:
    """What a build learns before placing named songs; reusable across placement settings
    (benchmarks/bench_served.py builds many catalogs from one)."""

    named: list[NamedSong]
    m: Matrices
    space: TagSpace
    exact: Any
    passages: np.ndarray
    affinity: np.ndarray
    stages: dict[str, float]


class _Clock:
    def __init__(self, stages: dict[str, float] | None = None) -> None:
        self.started = time.monotonic()
        self.stages = dict(stages or {})
        self._last = self.started

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.stages[name] = round(now - self._last, 1)
        self._last = now


def prepare(inputs: Inputs, config: BuildConfig) -> Prepared:
    """Read the inputs, learn the tag space (and the exact model), embed the shown tags."""
    clock = _Clock()
    named = read_named_songs(list(inputs.songs)) if inputs.songs else []
    keep = {s.arena_id for s in named if s.arena_id is not None}
    m = read_matrices(inputs, config, keep)
    clock.lap("read_and_count")
    try:
        space = train_tag_space(m.tags, m.songs, m.weights, config.tag_space)
    except InputFileError as exc:  # name the files: the reader may have given several
        files = ", ".join(str(p) for p in [*inputs.playlists, *inputs.partial])
        raise InputFileError(f"{files}: {exc}") from None
    clock.lap("tag_space")
    exact = None if config.compact else fit_exact(m.tags, m.songs, m.weights, config.exact)
    clock.lap("exact_model")
    passages, affinity = _text_arrays(m.vocab)
    clock.lap("text_embeddings")
    return Prepared(named, m, space, exact, passages, affinity, clock.stages)


def build_catalog(
    inputs: Inputs,
    out: Path,
    config: BuildConfig | None = None,
    *,
    prepared: Prepared | None = None,
) -> dict[str, Any]:
    """Build a catalog folder at `out` (replaced atomically) and return its manifest.

    `prepared` (from `prepare` with the same inputs) skips the learning stages."""
    config = config or BuildConfig()
    prepared = prepared or prepare(inputs, config)
    clock = _Clock(prepared.stages)
    m, space, exact = prepared.m, prepared.space, prepared.exact
    passages, affinity = prepared.passages, prepared.affinity
    table = song_table(m, space, prepared.named, config)
    clock.lap("song_vectors_and_placement")

    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    store = np.float16 if config.compact else np.float32
    write_vocabulary(m.vocab, tmp / "tags.tsv")
    _save_npy(tmp, "tag_vectors.npy", space.query_vectors, store)
    _save_npy(tmp, "profile_vectors.npy", space.profile_vectors, store)
    _save_npy(tmp, "tag_text.npy", passages, np.float16)
    _save_npy(tmp, HUB_QUERIES, hub_queries(m, space, config.hub_queries), store)
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

    clock.lap("write_and_index")
    manifest = _manifest(tmp, inputs, config, m, table, exact is not None, clock.stages)
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
    m: Matrices,
    table: SongTable,
    has_exact: bool,
    stages: dict[str, float],
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
        "build_seconds": round(sum(stages.values()), 1),
        "stage_seconds": stages,
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
