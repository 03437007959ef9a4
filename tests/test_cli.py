"""The `mri` command line: output shapes, exit codes and messages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.config import RESOURCES
from mri.cli import app
from tests.conftest import MOODS, mood_songs

runner = CliRunner()
SONG_KEYS = {"id", "title", "artists", "album", "melon_url", "melon_search_url", "score", "because"}


@pytest.mark.slow
def test_recommend_json_shape_through_the_console_script() -> None:
    exe = Path(sys.executable).parent / "mri"
    out = subprocess.run(
        [str(exe), "recommend", str(RESOURCES / "demo/coffee.png"), "--json", "--top", "10"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    data = json.loads(out.stdout)
    assert set(data) == {"tags", "songs", "tagger", "catalog", "evidence"}
    assert data["evidence"]["people"]["faces"] == []  # MRI_FACES is on by default
    assert len(data["tags"]) >= 5 and all(set(t) == {"tag", "weight"} for t in data["tags"])
    assert len(data["songs"]) == 10 and all(set(s) == SONG_KEYS for s in data["songs"])
    assert all(s["title"] and s["artists"] for s in data["songs"])
    assert all(
        s["melon_search_url"].startswith("https://www.melon.com/search/") for s in data["songs"]
    )
    assert data["tagger"] == "imagenet" and data["catalog"].startswith("compact-")
    artists = [s["artists"][0] for s in data["songs"]]
    assert max(artists.count(a) for a in artists) <= 2


@pytest.mark.slow
def test_recommend_text_prints_hashtags_and_links() -> None:
    result = runner.invoke(app, ["recommend", "--text", "새벽 드라이브", "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "#새벽" in result.output and "#드라이브" in result.output
    assert result.output.count("https://www.melon.com/") == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"%PDF-1.4 not a photo", "does not look like an image")],
)
def test_bad_photo_exits_2_with_a_clear_message(
    tmp_path: Path, content: bytes, message: str
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(content)
    result = runner.invoke(app, ["recommend", str(photo)])
    assert result.exit_code == 2 and message in result.output


def test_photo_or_text_is_needed_and_not_both() -> None:
    result = runner.invoke(app, ["recommend"])
    assert result.exit_code == 2 and "give a PHOTO to tag, or --text" in result.output
    assert "not both" not in result.output  # it once said "either … not both" here
    photo = str(RESOURCES / "demo/coffee.png")
    result = runner.invoke(app, ["recommend", photo, "--text", "바다"])
    assert result.exit_code == 2 and "either a PHOTO or --text, not both" in result.output


def test_missing_catalog_is_explained(tmp_path: Path) -> None:
    result = runner.invoke(app, ["recommend", "--text", "바다", "--catalog", str(tmp_path)])
    assert result.exit_code == 2 and "no manifest.json" in result.output


def test_eval_offline_json_on_the_tiny_catalog(tiny_catalog_dir: Path, tmp_path: Path) -> None:
    holdout = [
        {"id": 900 + i, "tags": tags[:2], "songs": mood_songs(mood)[:10]}
        for i, (mood, tags) in enumerate(MOODS.items())
    ]
    path = tmp_path / "holdout.json"
    path.write_text(json.dumps(holdout, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(
        app,
        ["eval", "offline", "--holdout", str(path), "--catalog", str(tiny_catalog_dir), "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"mri", "mri_dense", "popular", "seed_mean", "cooccurrence", "n"}
    assert data["n"] == 3
    for name in ("mri", "mri_dense", "popular", "seed_mean", "cooccurrence"):
        assert set(data[name]) == {"ndcg@100", "recall@100"}
        assert 0.0 <= data[name]["ndcg@100"] <= 1.0
    assert data["mri"]["ndcg@100"] > data["popular"]["ndcg@100"]


def test_eval_photos_counts_hits(tmp_path: Path) -> None:
    shutil.copy(RESOURCES / "demo/coffee.png", tmp_path / "cafe__coffee.png")
    shutil.copy(RESOURCES / "demo/karwendel.jpg", tmp_path / "mountain__karwendel.jpg")
    (tmp_path / "notes.txt").write_text("not a photo", encoding="utf-8")
    result = runner.invoke(app, ["eval", "photos", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 2 and data["hits"] == 2 and data["hit_rate"] == 1.0
    assert data["per_scene"] == {"cafe": {"hits": 1, "n": 1}, "mountain": {"hits": 1, "n": 1}}


def test_eval_photos_reads_labels_and_prints_per_scene_rates(tmp_path: Path) -> None:
    shutil.copy(RESOURCES / "demo/coffee.png", tmp_path / "a.png")
    shutil.copy(RESOURCES / "demo/karwendel.jpg", tmp_path / "b.jpg")
    labels = "file,scenes\na.png,cafe;smile\nb.jpg,mountain\n"
    (tmp_path / "labels.csv").write_text(labels, encoding="utf-8")
    result = runner.invoke(app, ["eval", "photos", str(tmp_path), "--summary"])
    assert result.exit_code == 0, result.output
    assert "a.png" not in result.stdout  # --summary: no per-photo lines
    lines = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if line}
    assert lines["cafe"] == ["1/1", "100%"] and lines["mountain"] == ["1/1", "100%"]
    assert lines["smile"][0] == "0/1" and "macro" in lines
    data = json.loads(runner.invoke(app, ["eval", "photos", str(tmp_path), "--json"]).stdout)
    assert data["per_scene"]["smile"] == {"hits": 0, "n": 1} and data["n"] == 2
    half = json.loads(
        runner.invoke(app, ["eval", "photos", str(tmp_path), "--json", "--half", "1"]).stdout
    )
    assert half["n"] == 1
    (tmp_path / "labels.csv").write_text("photo;scene\n", encoding="utf-8")
    bad = runner.invoke(app, ["eval", "photos", str(tmp_path)])
    assert bad.exit_code == 2 and "needs a header with the columns file and scenes" in bad.output


def test_catalog_info_reports_the_embedded_catalog() -> None:
    result = runner.invoke(app, ["catalog", "info"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["counts"]["named_songs"] == info["counts"]["songs"] > 1000


def test_arena_song_meta_becomes_named_songs(tmp_path: Path) -> None:
    meta = [
        {"id": 7, "song_name": "밤편지", "artist_name_basket": ["아이유"], "album_id": 10079486,
         "album_name": "밤편지", "song_gn_gnr_basket": ["GN0100"]},
        {"id": 8, "song_name": "이름 없는 곡", "artist_name_basket": []},
    ]  # fmt: skip
    (tmp_path / "song_meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "genres.json").write_text(json.dumps({"GN0100": "발라드"}), encoding="utf-8")
    out = tmp_path / "songs.jsonl"
    result = runner.invoke(
        app,
        ["data", "arena-songs", "--song-meta", str(tmp_path / "song_meta.json"),
         "--genres", str(tmp_path / "genres.json"), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [song] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert song["title"] == "밤편지" and song["arena_id"] == 7 and song["genres"] == ["발라드"]


def test_db_commands_and_status_on_an_empty_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MRI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("MRI_DATABASE_URL", raising=False)
    monkeypatch.delenv("MRI_QUEUE_URL", raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (tmp_path / "var" / "mri.db").is_file()
    check = runner.invoke(app, ["db", "check"])
    assert check.exit_code == 0 and "match" in check.output
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["queue"] == "sqlite" and data["queue_pending"] == 0 and data["workers_alive"] == 0
    assert runner.invoke(app, ["db", "downgrade"]).exit_code == 0


def _served_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir(parents=True)
    shutil.copy(RESOURCES / "demo/coffee.png", folder / "cafe__coffee.png")
    shutil.copy(RESOURCES / "demo/beach.jpg", folder / "beach__sea.jpg")
    shutil.copy(RESOURCES / "demo/karwendel.jpg", folder / "snow__alps.jpg")
    return folder


@pytest.mark.slow
def test_eval_served_reports_variety_links_and_seasons(tmp_path: Path) -> None:
    chart = tmp_path / "chart.tsv"
    chart.write_text(
        "year\tmonth\trank\tsong_id\tsong_name\tartist\n2016\t7\t1\t1\t바다\t가수\n", "utf-8"
    )
    result = runner.invoke(
        app, ["eval", "served", str(_served_folder(tmp_path)), "--chart", str(chart), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["photos"], data["slots"]) == (3, 30)
    assert data["distinct"] <= 30 and sum(data["links"].values()) == pytest.approx(1.0, abs=0.01)
    assert set(data["seasons"]) == {"snow", "beach"} and data["seasons"]["beach"]["photos"] == 1
    assert [r["photo"] for r in data["replies"]] == [
        "beach__sea.jpg",
        "cafe__coffee.png",
        "snow__alps.jpg",
    ]
    text = runner.invoke(app, ["eval", "served", str(_served_folder(tmp_path / "b"))])
    assert text.exit_code == 0 and "distinct songs" in text.output


def test_eval_served_refuses_a_bad_chart_or_an_empty_folder(tmp_path: Path) -> None:
    bad = tmp_path / "chart.jsonl"
    bad.write_text("not json\n", "utf-8")
    photos = tmp_path / "photos"
    photos.mkdir()
    result = runner.invoke(app, ["eval", "served", str(photos), "--chart", str(bad)])
    assert result.exit_code == 2 and "not a monthly-chart song" in result.output
    empty = runner.invoke(app, ["eval", "served", str(photos), "--chart", str(tmp_path / "no")])
    assert empty.exit_code == 2 and "holds no photos" in empty.output


def test_catalog_build_refuses_unknown_evidence(tmp_path: Path) -> None:
    playlists = tmp_path / "p.json"
    playlists.write_text("[]", "utf-8")
    result = runner.invoke(
        app,
        ["catalog", "build", "--playlists", str(playlists), "--out", str(tmp_path / "c"),
         "--without", "season", "--without", "vibes"],
    )  # fmt: skip
    assert result.exit_code == 2 and "--without 'vibes'" in result.output
    assert "season" in result.output and not (tmp_path / "c").exists()
