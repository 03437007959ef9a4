"""Arena mel files: layout, cropping, short and broken files, which compression they use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.audio.arena import (
    ArenaMelError,
    arena_mel_path,
    detect_compression,
    find_arena_mels,
    load_arena_mel,
)


def _write(root: Path, song_id: int, array: np.ndarray) -> Path:
    path = arena_mel_path(root, song_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return path


def test_release_layout_is_id_div_1000(tmp_path: Path) -> None:
    assert arena_mel_path(tmp_path, 123_456) == tmp_path / "123" / "123456.npy"
    assert arena_mel_path(tmp_path, 7) == tmp_path / "0" / "7.npy"
    _write(tmp_path, 123_456, np.zeros((48, 1876), np.float16))
    np.save(tmp_path / "42.npy", np.zeros((48, 1876), np.float32))  # flat layout also found
    assert set(find_arena_mels(tmp_path, [123_456, 42, 99])) == {123_456, 42}


def test_loader_returns_float32_48_by_1876(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(-30, 10, (48, 1900)).astype(np.float16)  # a few frames too many
    mel = load_arena_mel(_write(tmp_path, 5, raw))
    assert mel.shape == (48, 1876) and mel.dtype == np.float32
    np.testing.assert_array_equal(mel, raw[:, :1876].astype(np.float32))


def test_short_files_are_refused_or_repeated(tmp_path: Path) -> None:
    raw = np.arange(48 * 1000, dtype=np.float32).reshape(48, 1000)
    path = _write(tmp_path, 6, raw)
    with pytest.raises(ArenaMelError, match="1000 frames"):
        load_arena_mel(path)
    mel = load_arena_mel(path, pad_short=True)
    assert mel.shape == (48, 1876)
    np.testing.assert_array_equal(mel[:, 1000:1876], raw[:, :876])


def test_wrong_shape_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ArenaMelError, match="shape"):
        load_arena_mel(_write(tmp_path, 8, np.zeros((96, 1876), np.float32)))
    bad = tmp_path / "9.npy"
    bad.write_bytes(b"not numpy")
    with pytest.raises(ArenaMelError, match="cannot read"):
        load_arena_mel(bad)


def test_non_finite_values_become_the_clips_extremes(tmp_path: Path) -> None:
    raw = np.full((48, 1876), -20.0, np.float32)
    raw[0, 0], raw[1, 1], raw[2, 2], raw[3, 3] = -np.inf, np.nan, np.inf, -50.0
    raw[4, 4] = 10.0
    mel = load_arena_mel(_write(tmp_path, 10, raw))
    assert np.isfinite(mel).all()
    assert (mel[0, 0], mel[1, 1], mel[2, 2]) == (-50.0, -50.0, 10.0)


def test_compression_is_detected_from_the_values() -> None:
    db = [np.array([[-80.0, -3.0], [5.0, 12.0]])]
    log10k = [np.array([[0.0, 0.3], [2.5, 4.1]])]
    assert detect_compression(db) == "db"
    assert detect_compression(log10k) == "log10k"
