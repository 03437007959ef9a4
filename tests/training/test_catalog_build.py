"""Catalog build on a tiny Arena-format fixture, manifest checks, and the recommender on it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.catalog import FORMAT_VERSION, Catalog, load_catalog
from core.domain import TagWeight
from core.errors import CatalogError
from core.recommender import Recommender
from tests.conftest import MOODS, mood_songs, tiny_config, tiny_inputs
from training.catalog_build import build_catalog


def test_folder_holds_every_artifact_listed_in_the_manifest(tiny_catalog_dir: Path) -> None:
    manifest = json.loads((tiny_catalog_dir / "manifest.json").read_text(encoding="utf-8"))
    for name in ("tags.tsv", "tag_vectors.npy", "song_vectors.npy", "songs.jsonl", "index.faiss"):
        assert name in manifest["files"]
        assert (tiny_catalog_dir / name).is_file()
    assert manifest["exact"] is True
    assert {i["role"] for i in manifest["inputs"]} == {
        "playlists",
        "partial",
        "tag_playlists",
        "songs",
    }
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert (
        manifest["counts"]["tags"]
        == len((tiny_catalog_dir / "tags.tsv").read_text().splitlines()) - 1
    )
    assert manifest["code_version"].startswith("mri ")


def test_vocabulary_counts_and_shown_tags(tiny_catalog: Catalog) -> None:
    keys = tiny_catalog.tag_keys
    assert set(keys) >= {t for tags in MOODS.values() for t in tags} | {"기분전환"}
    assert list(tiny_catalog.tag_counts) == sorted(tiny_catalog.tag_counts, reverse=True)
    # lexicon tags are shown; every shown tag has a text embedding row
    assert tiny_catalog.tag_categories[tiny_catalog.tag_index["바다"]] == "scene"
    assert tiny_catalog.tag_text.shape == (len(tiny_catalog.shown), 384)


def test_songs_of_a_mood_rank_first_for_its_tags(tiny_catalog: Catalog) -> None:
    rec = Recommender(tiny_catalog)
    row_of = {s.arena_id: i for i, s in enumerate(tiny_catalog.songs)}
    for mood, tags in MOODS.items():
        weights = rec.resolve([TagWeight(t, 1.0) for t in tags])
        top = rec.rank(weights, k=10).tolist()
        own = {row_of[s] for s in mood_songs(mood) if s in row_of} | {row_of[9999]}
        assert sum(r in own for r in top) >= 9, (mood, top)


def test_named_songs_keep_learned_vectors_or_are_placed(tiny_catalog: Catalog) -> None:
    by_title = {s.title: (i, s) for i, s in enumerate(tiny_catalog.songs) if s.title}
    row, song = by_title["여름 바다"]
    assert song.id == f"arena:{mood_songs('바다')[0]}" and song.album_id == 123
    placed_row, placed = by_title["파도 소리"]
    assert placed.arena_id is None and placed.id.startswith("named:")
    # the placed song sits nearer the sea songs than the winter songs
    vec = tiny_catalog.song_vector(placed_row)[:-1]
    sea = tiny_catalog.song_vector(row)[:-1]
    winter = tiny_catalog.song_vector(by_title["첫눈"][0])[:-1]
    assert float(vec @ sea) > float(vec @ winter)


def test_recommend_shows_named_songs_only_with_reasons(tiny_catalog: Catalog) -> None:
    rec = Recommender(tiny_catalog)
    songs = rec.recommend([TagWeight("겨울", 1.0), TagWeight("눈", 0.5)], top_k=3)
    assert songs and all(s.song.named for s in songs)
    assert songs[0].song.title in {"첫눈", "눈사람"}
    assert set(songs[0].because) <= {"겨울", "눈"} and songs[0].because
    assert songs[0].melon_search_url.startswith("https://www.melon.com/search/total/index.htm?q=")


def test_compact_build_keeps_named_songs_in_float16(
    tmp_path: Path, tiny_data: dict[str, Path]
) -> None:
    build_catalog(tiny_inputs(tiny_data), tmp_path / "c", tiny_config(compact=True))
    cat = load_catalog(tmp_path / "c")
    assert cat.exact is None and all(s.named for s in cat.songs) and len(cat.songs) == 6
    assert np.load(tmp_path / "c" / "song_vectors.npy").dtype == np.float16
    assert cat.version.startswith("compact-")


def test_build_is_deterministic(
    tmp_path: Path, tiny_data: dict[str, Path], tiny_catalog: Catalog
) -> None:
    build_catalog(tiny_inputs(tiny_data), tmp_path / "again", tiny_config())
    again = load_catalog(tmp_path / "again")
    assert again.version == tiny_catalog.version
    np.testing.assert_allclose(again.tag_vectors, tiny_catalog.tag_vectors, atol=1e-5)


# --------------------------------------------------------------------- manifest checks


@pytest.fixture
def copy(tiny_catalog_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_catalog_dir, tmp_path / "copy"))


def _manifest(folder: Path) -> dict[str, object]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_missing_folder_and_manifest(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog(tmp_path / "nowhere")
    with pytest.raises(CatalogError, match=r"no manifest\.json"):
        load_catalog(tmp_path)


def test_changed_file_is_refused(copy: Path) -> None:
    vectors = np.load(copy / "tag_vectors.npy")
    vectors[0, 0] += 1.0
    np.save(copy / "tag_vectors.npy", vectors)
    with pytest.raises(CatalogError, match="sha256"):
        load_catalog(copy)


def test_truncated_or_missing_file_is_refused(copy: Path) -> None:
    (copy / "songs.jsonl").write_bytes((copy / "songs.jsonl").read_bytes()[:-10])
    with pytest.raises(CatalogError, match="bytes"):
        load_catalog(copy)
    (copy / "songs.jsonl").unlink()
    with pytest.raises(CatalogError, match="missing"):
        load_catalog(copy)


def test_other_format_version_is_refused(copy: Path) -> None:
    manifest = _manifest(copy)
    manifest["format_version"] = FORMAT_VERSION + 1
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CatalogError, match="rebuild it"):
        load_catalog(copy)


def test_counts_that_disagree_with_the_files_are_refused(copy: Path) -> None:
    manifest = _manifest(copy)
    manifest["counts"]["songs"] += 1  # type: ignore[index]
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CatalogError, match="number of songs"):
        load_catalog(copy)


def test_evaluation_ranks_only_the_songs_it_allows(tiny_catalog: Catalog) -> None:
    rec = Recommender(tiny_catalog)
    arena = np.array([s.arena_id is not None for s in tiny_catalog.songs])
    assert (~arena).sum() >= 3  # placed named songs without an Arena id
    weights = rec.resolve([TagWeight("여름", 1.0), TagWeight("바다", 1.0)])
    assert not arena[rec.rank(weights, len(arena))].all()  # unrestricted, they take places
    for use_exact in (True, False):
        ranked = rec.rank(weights, 20, use_exact=use_exact, allowed=arena)
        assert len(ranked) == 20 and arena[ranked].all()
