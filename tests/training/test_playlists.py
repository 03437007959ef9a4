from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.playlists import Playlist, PlaylistFormatError, read_playlists, split_playlists


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_reads_arena_format_and_dedupes_songs(tmp_path: Path) -> None:
    rows = [{"id": 1, "tags": ["바다"], "songs": [3, 3, 4], "plylst_title": "여름", "like_cnt": 2}]
    [p] = read_playlists(_write(tmp_path / "a.json", rows))
    assert p == Playlist(id=1, tags=("바다",), songs=(3, 4), title="여름")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tags": []}, "expected a JSON list"),
        ([{"tags": "바다"}], "'tags' must be a list"),
        ([{"tags": [], "songs": [-1]}], "'songs' must be"),
        ([{"tags": [], "id": "7"}], "'id' must be an integer"),
        (["x"], "playlist #0 is str"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(PlaylistFormatError, match=message):
        read_playlists(_write(tmp_path / "bad.json", data))


def test_not_json(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(PlaylistFormatError, match="not valid UTF-8 JSON"):
        read_playlists(tmp_path / "x.json")


def test_split_is_disjoint_deterministic_and_skips_empty() -> None:
    pls = [Playlist(id=i, tags=("t",) if i % 5 else (), songs=(i,)) for i in range(100)]
    a = split_playlists(pls, n_holdout=10, n_validation=5, seed=3)
    b = split_playlists(pls, n_holdout=10, n_validation=5, seed=3)
    assert a == b
    ids = [{p.id for p in part} for part in (a.holdout, a.validation, a.rest)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert len(ids[0]) + len(ids[1]) + len(ids[2]) == 100
    assert all(p.tags for p in a.holdout + a.validation)
    with pytest.raises(ValueError, match="only 80"):
        split_playlists(pls, n_holdout=80, n_validation=1, seed=0)
