"""A catalog folder, loaded and checked against its manifest.

Written by `mri catalog build` (training/catalog_build.py). Files:

    manifest.json          format, version, inputs (sha256), counts, dims, params, file hashes
    tags.tsv               index, key, display, count, category ('' = never shown)
    tag_vectors.npy        (tags x dim)  query-side tag vectors E
    profile_vectors.npy    (tags x dim)  profile-side tag vectors F (place new songs)
    tag_text.npy           (shown tags x 384) multilingual-e5 passage embeddings of shown tags
    imagenet_affinity.npy  (1000 x shown tags) e5 similarity of ImageNet labels to shown tags
    songs.jsonl            one song per row: id, title, artists, album ... popularity
    song_vectors.npy       (songs x dim) song vectors
    song_bias.npy          (songs,) popularity prior
    index.faiss, .json     inner-product index over [song vector | bias] (core/index.py)
    hub_queries.npy        optional (queries x dim): typical query vectors (core/hubness.py)
    exact/                 optional re-ranking model (pairs.npy, inverse_gram.npy, cooccurrence.npz)
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from core.domain import Song
from core.errors import CatalogError
from core.exact import ExactModel, NpyRows
from core.hubness import HUB_QUERIES
from core.index import SongIndex, build_index, load_index

log = logging.getLogger(__name__)

FORMAT = "mri-catalog"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
EXACT_FILES = ("exact/pairs.npy", "exact/inverse_gram.npy", "exact/cooccurrence.npz")
REQUIRED_FILES = (
    "tags.tsv",
    "tag_vectors.npy",
    "profile_vectors.npy",
    "tag_text.npy",
    "imagenet_affinity.npy",
    "songs.jsonl",
    "song_vectors.npy",
    "song_bias.npy",
    "index.faiss",
    "index.json",
)


@dataclass
class Catalog:
    """Everything the recommender and the taggers read, validated on load."""

    path: Path
    manifest: dict[str, Any]
    tag_keys: list[str]
    tag_display: list[str]
    tag_counts: np.ndarray
    tag_categories: list[str]
    tag_vectors: np.ndarray
    profile_vectors: np.ndarray
    tag_text: np.ndarray
    imagenet_affinity: np.ndarray
    songs: list[Song]
    song_popularity: np.ndarray
    song_bias: np.ndarray
    index: SongIndex
    exact: ExactModel | None
    hub_queries: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    tag_index: dict[str, int] = field(init=False)
    shown: np.ndarray = field(init=False)  # indices of tags that may be shown, tag_text order
    named: np.ndarray = field(init=False)  # row indices of songs people may see
    named_index: SongIndex = field(init=False)

    def __post_init__(self) -> None:
        self.tag_index = {k: i for i, k in enumerate(self.tag_keys)}
        self.shown = np.array([i for i, c in enumerate(self.tag_categories) if c], dtype=np.int64)
        self.named = np.array([i for i, s in enumerate(self.songs) if s.named], dtype=np.int64)
        vectors = (
            np.stack([self.index.reconstruct(int(i)) for i in self.named])
            if len(self.named)
            else np.zeros((0, self.index.d), dtype=np.float32)
        )
        self.named_index = build_index(vectors, "flat")

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def dim(self) -> int:
        return int(self.tag_vectors.shape[1])

    def song_vector(self, row: int) -> np.ndarray:
        """[vector | bias] of one song, as stored in the index."""
        return self.index.reconstruct(row)


def file_digest(path: Path) -> str:
    """sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a catalog folder, or a CatalogError that says what to do."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise CatalogError(
            f"catalog folder {folder} does not exist; build one with `mri catalog build`"
        )
    if not path.is_file():
        raise CatalogError(
            f"{folder} has no {MANIFEST}: it is not a catalog built by `mri catalog build`"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CatalogError(f"{path} is not an MRI catalog manifest (format != {FORMAT!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise CatalogError(
            f"{folder} has catalog format {manifest.get('format_version')}, this MRI reads "
            f"format {FORMAT_VERSION}; rebuild it with `mri catalog build`"
        )
    return manifest


def verify_files(folder: Path, manifest: dict[str, Any], *, hashes: bool = True) -> None:
    """Every file listed in the manifest exists with the recorded size (and sha256)."""
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise CatalogError(f"{folder}/{MANIFEST} lists no files")
    missing = [name for name in REQUIRED_FILES if name not in files]
    if missing:
        raise CatalogError(
            f"{folder}/{MANIFEST} does not list required files: {', '.join(missing)}"
        )
    for name, meta in files.items():
        path = folder / name
        if not path.is_file():
            raise CatalogError(f"catalog file {path} is missing (the manifest lists it)")
        if path.stat().st_size != meta["bytes"]:
            raise CatalogError(
                f"catalog file {path} has {path.stat().st_size} bytes, the manifest says "
                f"{meta['bytes']}: the folder was changed after it was built"
            )
        if hashes and file_digest(path) != meta["sha256"]:
            raise CatalogError(
                f"catalog file {path} does not match the sha256 in the manifest: "
                "the folder was changed after it was built"
            )


def _expect(cond: bool, folder: Path, what: str) -> None:
    if not cond:
        raise CatalogError(f"catalog {folder}: {what} does not match the manifest")


def _read_tags(path: Path) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    keys, display, counts, cats = [], [], [], []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["index", "key", "display", "count", "category"]:
            raise CatalogError(f"{path}: unexpected header {header}")
        for i, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5 or int(parts[0]) != i:
                raise CatalogError(f"{path}: malformed row {i + 2}")
            keys.append(parts[1])
            display.append(parts[2])
            counts.append(int(parts[3]))
            cats.append(parts[4])
    return keys, display, np.array(counts, dtype=np.int64), cats


def shown_tags(folder: Path) -> list[str]:
    """The tags a catalog may show (display names, most used first), read from its tags.tsv
    alone: what an adapter suggests while someone types a mood, without loading the catalog."""
    _, display, counts, cats = _read_tags(Path(folder) / "tags.tsv")
    order = sorted((i for i, c in enumerate(cats) if c), key=lambda i: -int(counts[i]))
    return [display[i] for i in order]


def _song(obj: dict[str, Any]) -> Song:
    return Song(
        id=str(obj["id"]),
        title=obj.get("title"),
        artists=tuple(obj.get("artists") or ()),
        album=obj.get("album"),
        album_id=obj.get("album_id"),
        melon_song_id=obj.get("melon_song_id"),
        arena_id=obj.get("arena_id"),
        genres=tuple(obj.get("genres") or ()),
    )


def _read_songs(path: Path) -> tuple[list[Song], np.ndarray]:
    songs, popularity = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            songs.append(_song(obj))
            popularity.append(float(obj.get("popularity", 0.0)))
    return songs, np.array(popularity, dtype=np.float32)


def _load_exact(folder: Path, params: dict[str, Any]) -> ExactModel:
    return ExactModel(
        pairs=np.load(folder / "exact/pairs.npy"),
        inverse_gram=NpyRows(folder / "exact/inverse_gram.npy"),
        cooccurrence=sp.load_npz(folder / "exact/cooccurrence.npz").tocsc(),
        pair_weight=float(params["pair_weight"]),
    )


def load_catalog(folder: Path, *, verify_hashes: bool = True) -> Catalog:
    """Load and validate a catalog folder; any mismatch raises CatalogError with the reason."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    verify_files(folder, manifest, hashes=verify_hashes)
    counts, dims = manifest["counts"], manifest["dims"]
    try:
        keys, display, tag_counts, cats = _read_tags(folder / "tags.tsv")
        songs, popularity = _read_songs(folder / "songs.jsonl")
        arrays = {
            name: np.load(folder / f"{name}.npy").astype(np.float32)
            for name in (
                "tag_vectors",
                "profile_vectors",
                "tag_text",
                "imagenet_affinity",
                "song_bias",
            )
        }
        index = load_index(folder / "index.faiss")
        hub = folder / HUB_QUERIES
        hub_queries = np.load(hub).astype(np.float32) if HUB_QUERIES in manifest["files"] else None
        exact = _load_exact(folder, manifest["params"]["exact"]) if manifest.get("exact") else None
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise CatalogError(f"catalog {folder} could not be read: {exc}") from exc
    n_shown = sum(1 for c in cats if c)
    _expect(len(keys) == counts["tags"], folder, "the number of tags")
    _expect(len(songs) == counts["songs"], folder, "the number of songs")
    _expect(
        arrays["tag_vectors"].shape == (counts["tags"], dims["tag_space"]), folder, "tag_vectors"
    )
    _expect(
        arrays["profile_vectors"].shape == arrays["tag_vectors"].shape, folder, "profile_vectors"
    )
    _expect(arrays["tag_text"].shape == (n_shown, dims["text"]), folder, "tag_text")
    _expect(arrays["imagenet_affinity"].shape == (1000, n_shown), folder, "imagenet_affinity")
    _expect(arrays["song_bias"].shape == (counts["songs"],), folder, "song_bias")
    _expect(
        index.ntotal == counts["songs"] and index.d == dims["tag_space"] + 1, folder, "index.faiss"
    )
    if hub_queries is not None:
        _expect(
            hub_queries.ndim == 2 and hub_queries.shape[1] == dims["tag_space"], folder, HUB_QUERIES
        )
    if exact is not None:
        _expect(exact.n_tags == counts["tags"], folder, "the exact model's tag count")
        _expect(
            exact.cooccurrence.shape[1] == counts["songs"], folder, "the exact model's song count"
        )
    log.info(
        "loaded catalog %s (%d tags, %d songs, %d named)",
        manifest["version"],
        len(keys),
        len(songs),
        sum(s.named for s in songs),
    )
    return Catalog(
        path=folder,
        manifest=manifest,
        tag_keys=keys,
        tag_display=display,
        tag_counts=tag_counts,
        tag_categories=cats,
        tag_vectors=arrays["tag_vectors"],
        profile_vectors=arrays["profile_vectors"],
        tag_text=arrays["tag_text"],
        imagenet_affinity=arrays["imagenet_affinity"],
        songs=songs,
        song_popularity=popularity,
        song_bias=arrays["song_bias"],
        index=index,
        exact=exact,
        hub_queries=hub_queries
        if hub_queries is not None
        else np.zeros((0, dims["tag_space"]), np.float32),
    )
