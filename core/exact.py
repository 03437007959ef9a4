"""Serving side of the exact re-ranking model (fitted by `training.exact`).

    score(query, song j) = (φ(query) P) · C[:, j]

φ = tag weights plus frequent tag-pair features, P = (XᵀX + λI)⁻¹, C = XᵀY. P stays on disk:
a query reads only the rows of its own few features (`NpyRows`, positioned reads; a memory map
would pull the whole file into the process's resident set on this kernel).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp


class NpyRows:
    """Reads chosen rows of a 2-D .npy file with pread, holding nothing else in memory."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            major, _ = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0
                if major == 1
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(f)
            self.offset = f.tell()
        if fortran or len(shape) != 2:
            raise ValueError(f"{path}: expected a C-ordered 2-D array")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(dtype)
        self.row_bytes = self.shape[1] * self.dtype.itemsize
        self.fd = os.open(path, os.O_RDONLY)

    def take(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), self.shape[1]), dtype=np.float32)
        for k, r in enumerate(rows.tolist()):
            raw = os.pread(self.fd, self.row_bytes, self.offset + r * self.row_bytes)
            out[k] = np.frombuffer(raw, dtype=self.dtype)
        return out

    def close(self) -> None:
        os.close(self.fd)


@dataclass(frozen=True)
class ExactModel:
    """P (features x features) and C (features x songs); feature i < n_tags is tag i."""

    pairs: np.ndarray  # (n_pairs, 2) int32, tag indices a < b
    inverse_gram: np.ndarray | NpyRows  # P, float16, in memory or read row by row from disk
    cooccurrence: sp.csc_matrix  # C
    pair_weight: float

    @property
    def n_tags(self) -> int:
        return int(self.inverse_gram.shape[0] - len(self.pairs))

    def scores(self, tag_weights: dict[int, float], candidates: np.ndarray) -> np.ndarray:
        """Scores of one query for the candidate song columns."""
        phi = pair_features(_row(tag_weights, self.n_tags), self.pairs, self.pair_weight)
        p_rows = self.inverse_gram
        if isinstance(p_rows, NpyRows):
            rows = p_rows.take(phi.indices)
        else:
            rows = np.asarray(p_rows[phi.indices], dtype=np.float32)
        p = phi.data.astype(np.float32) @ rows
        sub = self.cooccurrence[:, candidates]
        return np.asarray(sub.T @ p, dtype=np.float32).ravel()


def _row(tag_weights: dict[int, float], n_tags: int) -> sp.csr_matrix:
    idx = np.fromiter(tag_weights.keys(), dtype=np.int64, count=len(tag_weights))
    val = np.fromiter(tag_weights.values(), dtype=np.float32, count=len(tag_weights))
    return sp.csr_matrix((val, (np.zeros_like(idx), idx)), shape=(1, n_tags))


def pair_features(weights: sp.csr_matrix, pairs: np.ndarray, pair_weight: float) -> sp.csr_matrix:
    """Rows of tag weights -> [tags | pairs] features, each row scaled to unit tag-L2 norm.

    A pair feature is pair_weight * sqrt(w_a * w_b); for binary rows that is pair_weight.
    """
    weights = weights.tocsr().astype(np.float32)
    n_tags = weights.shape[1]
    index = {(int(a), int(b)): n_tags + k for k, (a, b) in enumerate(pairs)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i in range(weights.shape[0]):
        lo, hi = weights.indptr[i], weights.indptr[i + 1]
        order = np.argsort(weights.indices[lo:hi])
        idx, val = weights.indices[lo:hi][order].tolist(), weights.data[lo:hi][order].tolist()
        entries = zip(idx, val, strict=True)
        for (a, wa), (b, wb) in itertools.combinations(entries, 2):
            col = index.get((a, b))
            if col is not None:
                rows.append(i)
                cols.append(col)
                vals.append(pair_weight * float(np.sqrt(max(wa * wb, 0.0))))
    extra = sp.csr_matrix(
        (np.asarray(vals, dtype=np.float32), (rows, cols)),
        shape=(weights.shape[0], n_tags + len(pairs)),
    )
    full = (
        sp.hstack([weights, sp.csr_matrix((weights.shape[0], len(pairs)), dtype=np.float32)])
        + extra
    )
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    scale = sp.diags((1.0 / np.maximum(norms, 1e-12)).astype(np.float32))
    return (scale @ full).tocsr()  # type: ignore[no-any-return]
