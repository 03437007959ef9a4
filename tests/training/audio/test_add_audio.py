"""`mri catalog add-audio` on the tiny catalog: new songs become recommendable, bad files don't
stop the batch, and the parent catalog is never changed."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from core.catalog import load_catalog
from core.config import DEFAULT_CATALOG
from core.domain import TagWeight
from core.recommender import Recommender
from mri.cli import app
from training.audio.checkpoint import catalog_info, load_checkpoint
from training.audio.mel import MelConfig
from training.audio.model import AudioNetConfig
from training.audio.synthetic import render_mels
from training.audio.train import ArrayMels, TrainConfig, TrainData, train_audio_model

runner = CliRunner()
MEL = MelConfig(
    sample_rate=8000, n_mels=16, n_fft=256, hop_length=128, offset_seconds=0.5,
    duration_seconds=2.0, min_seconds=1.0,
)  # fmt: skip


@pytest.fixture(scope="module")
def tiny_model(tiny_catalog_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small network trained for one epoch to predict the tiny catalog's song vectors."""
    catalog = load_catalog(tiny_catalog_dir)
    vectors = np.load(tiny_catalog_dir / "song_vectors.npy").astype(np.float32)
    net = AudioNetConfig(n_mels=MEL.n_mels, frames=MEL.frames, out_dim=catalog.dim,
                         channels=(8, 16))  # fmt: skip
    data = TrainData(
        ArrayMels(render_mels(vectors, MEL.n_mels, MEL.frames)),
        vectors,
        np.arange(len(vectors)),
        vectors,
    )
    out = tmp_path_factory.mktemp("audio-model") / "tiny.pt"
    config = TrainConfig(epochs=1, batch=16, negatives=32, crop_frames=0, warmup_steps=2)
    train_audio_model(data, net, MEL, config, out, catalog_info(catalog.manifest,
                      tiny_catalog_dir), progress=False)  # fmt: skip
    return out


def _tone(path: Path, seconds: float, freq: float, rate: int = 22_050) -> None:
    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(int(freq)).normal(0, 0.05, len(t))
    sf.write(path, 0.3 * np.sin(2 * math.pi * freq * t) + noise, rate)


def _batch(folder: Path) -> Path:
    folder.mkdir()
    _tone(folder / "wave.wav", 3.0, 440.0)
    _tone(folder / "bright.flac", 2.2, 2200.0)
    _tone(folder / "short.wav", 0.3, 660.0)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "notes.mp3").write_text("not audio at all\n" * 50, encoding="utf-8")
    (folder / "clip.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 500)
    rows = [
        ("wave.wav", "파도의 노래", "새 가수", "555", ""),
        ("bright.flac", "햇살", "다른 가수;피처링", "", "987654"),
        ("short.wav", "짧은 노래", "가수", "", ""),
        ("empty.wav", "빈 파일", "가수", "", ""),
        ("notes.mp3", "글자", "가수", "", ""),
        ("clip.m4a", "에이에이씨", "가수", "", ""),
        ("missing.wav", "없는 파일", "가수", "", ""),
        ("wave.wav", "", "제목 없음", "", ""),
    ]
    meta = folder.parent / "songs.csv"
    with open(meta, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "title", "artist", "album_id", "melon_id"])
        writer.writerows(rows)
    return meta


def test_add_audio_appends_recommendable_songs(
    tiny_catalog_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    meta = _batch(tmp_path / "audio")
    out = tmp_path / "with-audio"
    parent = load_catalog(tiny_catalog_dir)
    result = runner.invoke(app, ["catalog", "add-audio", str(tmp_path / "audio"), "--meta",
                                 str(meta), "--catalog", str(tiny_catalog_dir), "--model",
                                 str(tiny_model), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.output
    assert "added 2 of 8 songs (6 failed)" in text
    for words in ("short.wav: only 0.3 s", "empty.wav: the file is empty",
                  "notes.mp3: not an audio file", "clip.m4a: unsupported codec",
                  "missing.wav: no such file", "needs a file, a title and an artist"):  # fmt: skip
        assert words in text, words
    assert "note: the clip is 2.2 s long: used 0.2-2.2 s instead of 0.5-2.5 s" in text

    new = load_catalog(out)  # every loading check passes
    assert len(new.songs) == len(parent.songs) + 2
    assert new.version != parent.version and new.version.startswith("full-")
    assert new.manifest["parent"]["version"] == parent.version
    assert new.manifest["lineage"] == [parent.version]
    addition = new.manifest["additions"][-1]
    assert addition["songs"] == 2 and addition["failed"] == 6
    assert addition["model"]["sha256"] == load_checkpoint_sha(tiny_model)
    wave, bright = new.songs[-2], new.songs[-1]
    assert (wave.title, wave.artists, wave.album_id) == ("파도의 노래", ("새 가수",), 555)
    assert bright.id == "melon:987654" and bright.artists == ("다른 가수", "피처링")
    assert wave.id.startswith("audio:") and wave.named and bright.named

    for row in (len(new.songs) - 2, len(new.songs) - 1):
        vector = new.song_vector(row)[:-1]
        _, local = new.named_index.search(np.r_[vector, 0.0].astype(np.float32), 1)
        assert int(new.named[local[0][0]]) == row  # a query near its vector finds it
    rec = Recommender(new)
    weights = rec.resolve([TagWeight("바다", 1.0), TagWeight("여름", 0.5)])
    assert len(rec.rank(weights, k=200)) > 0  # the exact model was padded for the new songs
    assert len(rec.recommend([TagWeight("바다", 1.0)], top_k=10)) > 0
    assert load_catalog(tiny_catalog_dir).version == parent.version  # parent untouched
    info = runner.invoke(app, ["catalog", "info", str(out)])
    assert info.exit_code == 0 and json.loads(info.output)["counts"]["songs"] == len(new.songs)


def load_checkpoint_sha(path: Path) -> str:
    import hashlib

    load_checkpoint(path)  # it is a valid checkpoint
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_adding_the_same_audio_again_is_refused(
    tiny_catalog_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    meta = _batch(tmp_path / "audio")
    first = tmp_path / "first"
    args = ["catalog", "add-audio", str(tmp_path / "audio"), "--meta", str(meta),
            "--model", str(tiny_model)]  # fmt: skip
    made = runner.invoke(app, [*args, "--catalog", str(tiny_catalog_dir), "--out", str(first)])
    assert made.exit_code == 0, made.output
    again = runner.invoke(app, [*args, "--catalog", str(first), "--out", str(tmp_path / "2")])
    assert again.exit_code == 2
    assert "already in the catalog" in again.output and "no catalog was written" in again.output
    assert not (tmp_path / "2").exists()


def test_a_model_for_another_tag_space_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    meta = _batch(tmp_path / "audio")
    result = runner.invoke(app, ["catalog", "add-audio", str(tmp_path / "audio"), "--meta",
                                 str(meta), "--catalog", str(DEFAULT_CATALOG), "--model",
                                 str(tiny_model), "--out", str(tmp_path / "x")])  # fmt: skip
    assert result.exit_code == 2
    assert "16-dim vectors" in result.output and "128-dim" in result.output


def test_without_a_model_the_command_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MRI_AUDIO_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)
    meta = _batch(tmp_path / "audio")
    result = runner.invoke(app, ["catalog", "add-audio", str(tmp_path / "audio"), "--meta",
                                 str(meta), "--out", str(tmp_path / "x")])  # fmt: skip
    assert result.exit_code == 2 and "MRI_AUDIO_MODEL" in result.output


@pytest.mark.slow
def test_audio_train_on_arena_files_then_add_audio(tiny_catalog_dir: Path, tmp_path: Path) -> None:
    """`mri audio train` reads Arena-layout mels of catalog songs; its model places new audio."""
    catalog = load_catalog(tiny_catalog_dir)
    vectors = np.load(tiny_catalog_dir / "song_vectors.npy").astype(np.float32)
    arena = [(s.arena_id, row) for row, s in enumerate(catalog.songs) if s.arena_id][:14]
    mels = render_mels(vectors[[row for _, row in arena]], 48, 1876) - 40.0  # dB-like values
    root = tmp_path / "arena_mel"
    for (arena_id, _), mel in zip(arena, mels, strict=True):
        path = root / str(arena_id // 1000) / f"{arena_id}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, mel.astype(np.float16))
    (root / "0").mkdir(exist_ok=True)
    np.save(root / "0" / "bad.npy", np.zeros((48, 10)))  # not a song id: ignored
    model = tmp_path / "model.pt"
    args = ["audio", "train", "--mels", str(root), "--catalog", str(tiny_catalog_dir), "--out",
            str(model), "--epochs", "1", "--batch", "4"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert '"with_mel": 14' in result.output and "compression: db" in result.output
    state = load_checkpoint(model)
    assert state["mel"]["compression"] == "db" and state["net"]["out_dim"] == catalog.dim
    assert state["data"] == {"songs": 14, "train": 13, "holdout": 1}  # 10% held out
    again = runner.invoke(app, args)  # already trained for 1 epoch: resumes, nothing to do
    assert again.exit_code == 0 and load_checkpoint(model)["epoch"] == 1

    folder = tmp_path / "audio"
    folder.mkdir()
    _tone(folder / "long.wav", 8.0, 330.0)
    (tmp_path / "meta.csv").write_text("file,title,artist\nlong.wav,긴 노래,가수 Z\n", "utf-8")
    out = tmp_path / "plus"
    added = runner.invoke(app, ["catalog", "add-audio", str(folder), "--meta",
                                str(tmp_path / "meta.csv"), "--catalog", str(tiny_catalog_dir),
                                "--model", str(model), "--out", str(out)])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "repeated to 30 s" in added.output
    assert load_catalog(out).songs[-1].title == "긴 노래"
