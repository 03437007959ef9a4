"""Kakao Arena's released mel-spectrograms (`arena_mel`): where they are and how to read them.

The release unpacks to `arena_mel/<id // 1000>/<id>.npy`, one (48, 1876) array per song id
(seconds 20-50 at 16 kHz; see mel.py). A few files are shorter than 1876 frames and some hold
non-finite values; the dataset paper's own loader skips the short ones and zeroes the others.
We skip short files too (or repeat them, on request) and replace -inf/NaN with the clip's
quietest finite value and +inf with its loudest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from core.errors import InputFileError
from training.audio.mel import Compression

log = logging.getLogger(__name__)

ARENA_MELS = 48
ARENA_FRAMES = 1876


class ArenaMelError(InputFileError):
    """An Arena mel file that cannot be used (wrong shape, too short, unreadable)."""


def arena_mel_path(root: Path, song_id: int) -> Path:
    """Where the release keeps a song's mel: <root>/<id // 1000>/<id>.npy."""
    return Path(root) / str(int(song_id) // 1000) / f"{int(song_id)}.npy"


def find_arena_mel(root: Path, song_id: int) -> Path | None:
    """The song's mel file in the release layout, or flat as <root>/<id>.npy; None if absent."""
    for path in (arena_mel_path(root, song_id), Path(root) / f"{int(song_id)}.npy"):
        if path.is_file():
            return path
    return None


def find_arena_mels(root: Path, song_ids: Iterable[int]) -> dict[int, Path]:
    """Song id -> mel file, for the ids that have one."""
    found = {}
    for sid in song_ids:
        path = find_arena_mel(root, sid)
        if path is not None:
            found[int(sid)] = path
    return found


def _finite(values: np.ndarray) -> np.ndarray:
    ok = np.isfinite(values)
    if ok.all():
        return values
    if not ok.any():
        raise ArenaMelError("no finite value")
    low, high = float(values[ok].min()), float(values[ok].max())
    values = np.where(np.isposinf(values), high, values)
    return np.where(np.isfinite(values), values, low).astype(np.float32)


def load_arena_mel(
    path: Path,
    *,
    n_mels: int = ARENA_MELS,
    frames: int = ARENA_FRAMES,
    pad_short: bool = False,
) -> np.ndarray:
    """One Arena mel as float32 (n_mels, frames): longer files are cut, shorter ones refused
    (or repeated to `frames` with pad_short=True)."""
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ArenaMelError(f"{path}: cannot read ({exc})") from None
    if values.ndim != 2 or values.shape[0] != n_mels:
        raise ArenaMelError(f"{path}: shape {values.shape}, expected ({n_mels}, {frames})")
    if values.shape[1] < frames:
        if not pad_short or values.shape[1] == 0:
            raise ArenaMelError(f"{path}: {values.shape[1]} frames, expected {frames}")
        values = np.tile(values, (1, -(-frames // values.shape[1])))
    try:
        return _finite(np.ascontiguousarray(values[:, :frames], dtype=np.float32))
    except ArenaMelError as exc:
        raise ArenaMelError(f"{path}: {exc}") from None


def detect_compression(samples: Sequence[np.ndarray]) -> Compression:
    """Which log compression produced these mels: dB values go below zero for quiet bands,
    log10(1 + 10⁴x) never does."""
    if not samples:
        raise ValueError("no mel-spectrograms to look at")
    low = min(float(np.min(s)) for s in samples)
    return "db" if low < -1e-6 else "log10k"


def mel_shape(path: Path) -> tuple[int, ...] | None:
    """The array shape stored in an .npy file (header only), or None if unreadable."""
    try:
        return tuple(np.load(path, mmap_mode="r", allow_pickle=False).shape)
    except (OSError, ValueError):
        return None


@dataclass
class ArenaTrainingSet:
    """Catalog songs that have a usable Arena mel, with their target vectors."""

    paths: list[Path]
    rows: np.ndarray  # catalog rows
    targets: np.ndarray  # (n, dim) their song vectors
    catalog_vectors: np.ndarray  # (songs, dim) every catalog song
    compression: Compression
    report: dict[str, int]


def arena_training_set(
    mels_dir: Path, catalog_dir: Path, *, limit: int | None = None, progress: bool = True
) -> tuple[ArenaTrainingSet, dict[str, Any]]:
    """Pair every catalog song that has an Arena id with its mel file; (set, catalog manifest).

    Files with another shape than (48, >= 1876) are skipped and counted."""
    from core.catalog import load_catalog

    catalog = load_catalog(catalog_dir)
    vectors = np.load(Path(catalog_dir) / "song_vectors.npy").astype(np.float32)
    arena_rows = [(s.arena_id, r) for r, s in enumerate(catalog.songs) if s.arena_id is not None]
    if limit is not None:
        arena_rows = arena_rows[:limit]
    found = find_arena_mels(mels_dir, (a for a, _ in arena_rows))
    paths, rows, bad = [], [], 0
    for arena_id, row in tqdm(arena_rows, desc="mel files", unit="song", disable=not progress):
        path = found.get(int(arena_id))
        if path is None:
            continue
        shape = mel_shape(path)
        if shape is None or len(shape) != 2 or shape[0] != ARENA_MELS or shape[1] < ARENA_FRAMES:
            bad += 1
            continue
        paths.append(path)
        rows.append(row)
    if not paths:
        raise ArenaMelError(
            f"none of the catalog's {len(arena_rows)} Arena songs has a usable mel file under "
            f"{mels_dir} (expected <id // 1000>/<id>.npy of shape (48, 1876))"
        )
    sample = [load_arena_mel(p) for p in paths[:32]]
    report = {
        "catalog_arena_songs": len(arena_rows),
        "with_mel": len(paths),
        "without_mel": len(arena_rows) - len(found),
        "bad_shape": bad,
    }
    row_array = np.array(rows, dtype=np.int64)
    result = ArenaTrainingSet(
        paths, row_array, vectors[row_array], vectors, detect_compression(sample), report
    )
    return result, catalog.manifest
