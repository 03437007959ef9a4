"""Shared fixtures: a tiny Arena-format data set written by the tests, and catalogs from it."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.catalog import Catalog, load_catalog
from core.config import DEFAULT_CATALOG, Settings
from core.db.database import Database
from tests.backends import postgres_database, redis_queue
from training.catalog_build import BuildConfig, Inputs, build_catalog
from training.exact import ExactConfig
from training.tagspace import TagSpaceConfig

# Three moods, each with its own songs; playlists mix one mood's tags with a little noise.
MOODS = {
    "바다": ["바다", "여름", "해변"],
    "겨울": ["겨울", "눈", "크리스마스"],
    "카페": ["카페", "커피", "잔잔한"],
}
SONGS_PER_MOOD = 30


def mood_songs(mood: str) -> list[int]:
    base = 1000 * (list(MOODS).index(mood) + 1)
    return list(range(base, base + SONGS_PER_MOOD))


def write_fixture(folder: Path, n_playlists: int = 240, seed: int = 7) -> dict[str, Path]:
    """Arena-format playlists (complete + partial), tag-only playlists, named songs."""
    rng = random.Random(seed)
    moods = list(MOODS)
    playlists = []
    for pid in range(n_playlists):
        mood = moods[pid % len(moods)]
        tags = rng.sample(MOODS[mood], k=rng.randint(1, 3))
        if rng.random() < 0.2:
            tags.append("기분전환")  # a tag every mood shares
        songs = rng.sample(mood_songs(mood), k=rng.randint(5, 12))
        if rng.random() < 0.3:
            songs.append(9999)  # a popular song in every mood
        playlists.append({"id": pid, "tags": tags, "songs": songs, "plylst_title": f"pl {pid}"})
    complete, partial = playlists[: n_playlists // 2], playlists[n_playlists // 2 :]
    for p in partial:
        p["songs"] = p["songs"][:4]
    tag_only = [{"id": 10_000 + i, "tags": rng.sample(MOODS[moods[i % 3]], k=2)} for i in range(60)]
    named = [
        {
            "title": "여름 바다",
            "artists": ["가수 A"],
            "arena_id": mood_songs("바다")[0],
            "album_id": 123,
        },
        {"title": "첫눈", "artists": ["가수 B"], "arena_id": mood_songs("겨울")[0]},
        {"title": "라떼 한 잔", "artists": ["가수 C"], "arena_id": mood_songs("카페")[0]},
        {"title": "파도 소리", "artists": ["가수 D"], "genres": ["바다"], "moods": ["여름"]},
        {"title": "눈사람", "artists": ["가수 E"], "moods": ["겨울", "크리스마스"], "rank": 3},
        {"title": "커피 향기", "artists": ["가수 F"], "keywords": [["커피", 1.0], ["잔잔한", 0.5]]},
    ]
    paths = {
        "complete": folder / "complete.json",
        "partial": folder / "partial.json",
        "tag_only": folder / "tags.json",
        "named": folder / "named.jsonl",
    }
    paths["complete"].write_text(json.dumps(complete, ensure_ascii=False), encoding="utf-8")
    paths["partial"].write_text(json.dumps(partial, ensure_ascii=False), encoding="utf-8")
    paths["tag_only"].write_text(json.dumps(tag_only, ensure_ascii=False), encoding="utf-8")
    paths["named"].write_text(
        "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in named), encoding="utf-8"
    )
    return paths


def tiny_config(compact: bool = False) -> BuildConfig:
    return BuildConfig(
        min_tag_count=1,
        min_song_count=1,
        compact=compact,
        tag_space=TagSpaceConfig(dim=16, epochs=8, batch=32, negatives=64, lr=1e-2),
        exact=ExactConfig(ridge=5.0, min_pair_count=3),
    )


def tiny_inputs(paths: dict[str, Path]) -> Inputs:
    return Inputs(
        playlists=[paths["complete"]],
        partial=[paths["partial"]],
        tag_playlists=[paths["tag_only"]],
        songs=[paths["named"]],
    )


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_fixture(tmp_path_factory.mktemp("arena"))


@pytest.fixture(scope="session")
def tiny_catalog_dir(tmp_path_factory: pytest.TempPathFactory, tiny_data: dict[str, Path]) -> Path:
    out = tmp_path_factory.mktemp("catalogs") / "tiny"
    build_catalog(tiny_inputs(tiny_data), out, tiny_config())
    return out


@pytest.fixture(scope="session")
def tiny_catalog(tiny_catalog_dir: Path) -> Catalog:
    return load_catalog(tiny_catalog_dir)


@pytest.fixture(scope="session")
def default_catalog() -> Iterator[Catalog]:
    yield load_catalog(DEFAULT_CATALOG)


# ------------------------------------------------------------- storage and queue back-ends


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database: a SQLite file, or a fresh PostgreSQL database on this machine."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'mri.db'}")
        db.upgrade()
        yield db
        db.dispose()
        return
    with postgres_database() as url:
        db = Database(url)
        db.upgrade()
        yield db
        db.dispose()


@pytest.fixture(params=["sqlite", "redis+postgres"])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for the embedded default (SQLite queue and database) or the scale-out path."""
    base = {"data_dir": tmp_path / "var", "job_lease_seconds": 3.0, "job_wait_seconds": 20.0}
    if request.param == "sqlite":
        yield Settings(**base)
        return
    with redis_queue() as (url, name), postgres_database() as db_url:
        yield Settings(**base, queue_url=url, queue_name=name, database_url=db_url)
