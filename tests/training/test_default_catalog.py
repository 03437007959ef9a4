"""The embedded default catalog is what `mri catalog build-default` makes from ../shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.catalog import Catalog, load_catalog
from tests.shared_data import require_shared
from training.catalog_build import build_default

# Rebuilding on the same kind of machine is bit-for-bit deterministic (fixed seeds, 2 threads);
# the tolerance only absorbs float16 rounding on another CPU or BLAS.
ATOL = 2e-2


@pytest.mark.slow
@pytest.mark.shared
def test_rebuild_matches_the_committed_catalog(tmp_path: Path, default_catalog: Catalog) -> None:
    build_default(require_shared(), tmp_path / "rebuilt")
    rebuilt = load_catalog(tmp_path / "rebuilt")
    assert rebuilt.tag_keys == default_catalog.tag_keys
    assert [s.id for s in rebuilt.songs] == [s.id for s in default_catalog.songs]
    assert [(s.title, s.artists) for s in rebuilt.songs] == [
        (s.title, s.artists) for s in default_catalog.songs
    ]
    for name in ("song_vectors.npy", "tag_vectors.npy", "song_bias.npy"):
        a = np.load(rebuilt.path / name).astype(np.float32)
        b = np.load(default_catalog.path / name).astype(np.float32)
        np.testing.assert_allclose(a, b, atol=ATOL, err_msg=name)


def test_embedded_catalog_is_small_and_shippable(default_catalog: Catalog) -> None:
    manifest = default_catalog.manifest
    assert manifest["params"]["compact"] is True and default_catalog.exact is None
    assert all(s.named for s in default_catalog.songs)
    assert sum(f["bytes"] for f in manifest["files"].values()) < 25 * 1024 * 1024
    assert max(f["bytes"] for f in manifest["files"].values()) < 8 * 1024 * 1024
    assert len(default_catalog.songs) >= 9_500  # the monthly chart merged with the named lists
    with_page = sum(s.melon_song_id is not None for s in default_catalog.songs)
    assert with_page >= 7_900  # a Melon song page for every charted song with an id
    lyrics_fields = {"lyric", "lyrics"}
    text = (default_catalog.path / "songs.jsonl").read_text(encoding="utf-8").lower()
    assert not any(f'"{f}"' in text for f in lyrics_fields)
