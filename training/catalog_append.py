"""A new catalog folder = a parent catalog + appended songs (vectors placed from outside).

Used by `mri catalog add-audio`. The parent is never changed: its files are copied, the songs,
their vectors and biases are appended, the index is rebuilt (same kind as the parent's), row-wise
files of the exact model and raw profiles are padded for the new songs, and a new manifest
records the parent's version and where the new songs came from. The result loads (and passes the
checks of) `core.catalog.load_catalog` like any built catalog.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from core import catalog as cat
from core.errors import InputFileError
from core.index import build_index
from training.catalog_build import _code_version

log = logging.getLogger(__name__)


class AppendError(InputFileError):
    """The songs cannot be appended (ids already taken, wrong vector size, bad folder)."""


def _store_dtype(folder: Path) -> np.dtype[Any]:
    return np.load(folder / "song_vectors.npy", mmap_mode="r").dtype


def _copy_parent(parent: Path, tmp: Path, manifest: dict[str, Any]) -> None:
    for name in manifest["files"]:
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parent / name, target)


def _pad_sparse(tmp: Path, n_new: int) -> None:
    """Zero rows (raw profiles) and zero columns (exact model) for the new songs."""
    counts = tmp / "song_tag_counts.npz"
    if counts.is_file():
        m = sp.load_npz(counts).tocsr()
        sp.save_npz(
            counts, sp.vstack([m, sp.csr_matrix((n_new, m.shape[1]), dtype=m.dtype)]).tocsr()
        )
    cooc = tmp / "exact/cooccurrence.npz"
    if cooc.is_file():
        m = sp.load_npz(cooc).tocsc()
        pad = sp.csc_matrix((m.shape[0], n_new), dtype=m.dtype)
        sp.save_npz(cooc, sp.hstack([m, pad]).tocsc())


def append_songs(
    parent: Path,
    records: list[dict[str, Any]],
    vectors: np.ndarray,
    bias: np.ndarray,
    out: Path,
    provenance: dict[str, Any],
) -> dict[str, Any]:
    """Write `parent` + songs to `out` (replaced atomically); return the new manifest.

    `records` are songs.jsonl rows (id, title, artists, ... popularity); `vectors` and `bias`
    their tag-space vectors and popularity priors; `provenance` is stored in the manifest."""
    parent, out = Path(parent), Path(out)
    if out.resolve() == parent.resolve():
        raise AppendError("--out must be a new folder: the parent catalog is never changed")
    parent_cat = cat.load_catalog(parent)
    manifest = parent_cat.manifest
    dim = parent_cat.dim
    if vectors.shape != (len(records), dim) or bias.shape != (len(records),):
        raise AppendError(
            f"{len(records)} songs need ({len(records)}, {dim}) vectors, got {vectors.shape}"
        )
    taken = {s.id for s in parent_cat.songs}
    clash = sorted({r["id"] for r in records} & taken)
    if clash or len({r["id"] for r in records}) != len(records):
        raise AppendError(f"song ids already in the catalog or repeated: {', '.join(clash)}")
    del parent_cat  # the new folder is written from the files, not from memory

    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _copy_parent(parent, tmp, manifest)
    store = _store_dtype(parent)
    # Stored (and indexed) as they will be read back, like catalog_build does.
    old_vectors = np.load(parent / "song_vectors.npy").astype(np.float32)
    old_bias = np.load(parent / "song_bias.npy").astype(np.float32)
    all_vectors = np.vstack([old_vectors, vectors.astype(store).astype(np.float32)])
    all_bias = np.r_[old_bias, bias.astype(store).astype(np.float32)]
    np.save(tmp / "song_vectors.npy", np.ascontiguousarray(all_vectors, dtype=store))
    np.save(tmp / "song_bias.npy", np.ascontiguousarray(all_bias, dtype=store))
    with open(tmp / "songs.jsonl", "a", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    kind = json.loads((parent / "index.json").read_text(encoding="utf-8"))["kind"]
    build_index(np.hstack([all_vectors, all_bias[:, None]]), kind).save(tmp / "index.faiss")
    _pad_sparse(tmp, len(records))

    new = _manifest(tmp, manifest, records, provenance)
    (tmp / cat.MANIFEST).write_text(
        json.dumps(new, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    log.info("catalog %s (parent %s, +%d songs) written to %s", new["version"],
             manifest["version"], len(records), out)  # fmt: skip
    return new


def _manifest(
    folder: Path, parent: dict[str, Any], records: list[dict[str, Any]], provenance: dict[str, Any]
) -> dict[str, Any]:
    files = {
        str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": cat.file_digest(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != cat.MANIFEST
    }
    identity = json.dumps({"parent": parent["version"], "files": files}, sort_keys=True)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:10]
    prefix = str(parent["version"]).split("-", 1)[0]
    named = sum(1 for r in records if r.get("title") and r.get("artists"))
    counts = dict(parent["counts"])
    counts["songs"] = int(counts["songs"]) + len(records)
    counts["named_songs"] = int(counts.get("named_songs", 0)) + named
    lineage = [*parent.get("lineage", []), parent["version"]]
    return {
        **{k: v for k, v in parent.items() if k not in ("files", "additions")},
        "version": f"{prefix}-{digest}",
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "code_version": _code_version(),
        "counts": counts,
        "parent": {"version": parent["version"], "built_at": parent.get("built_at")},
        "lineage": lineage,
        "additions": [*parent.get("additions", []), {**provenance, "songs": len(records)}],
        "files": files,
    }
