"""Mel-spectrograms: Arena's shape and scale on real clips, values checked by hand, bad files."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.shared_data import require_shared
from training.audio.mel import (
    DB_FLOOR,
    AudioError,
    MelConfig,
    blackman_harris_62,
    compress,
    extract_mel,
    mel_from_signal,
)

pytestmark = pytest.mark.numeric
CLIPS = "librosa_example_audio"


def example_clips() -> dict[str, Path]:
    folder = require_shared() / CLIPS
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    clips = {key: folder / f"{v['path'].replace(chr(39), '')}.ogg" for key, v in index.items()}
    return {key: path for key, path in clips.items() if path.is_file()}


@pytest.mark.shared
def test_real_clips_have_arenas_shape_and_a_db_scale() -> None:
    clips = example_clips()
    assert len(clips) == 8
    for key, path in clips.items():
        mel = extract_mel(path)
        assert mel.values.shape == (48, 1876), key
        assert mel.values.dtype == np.float32
        assert np.isfinite(mel.values).all()
        assert mel.values.min() >= DB_FLOOR and mel.values.max() < 40.0, key  # floor: exact
        # music: the loudest band is well above the floor, low bands louder than the top ones
        assert mel.values.max() - np.median(mel.values) > 20.0, key
        assert mel.values[:12].mean() > mel.values[-12:].mean(), key


@pytest.mark.shared
def test_window_is_seconds_20_to_50_or_what_the_clip_has() -> None:
    clips = example_clips()
    long = extract_mel(clips["vibeace"])  # 61.5 s
    assert (long.start_seconds, long.used_seconds, long.notes) == (20.0, 30.0, ())
    waltz = extract_mel(clips["sweetwaltz"])  # 49.2 s: the last 30 s
    assert waltz.start_seconds == pytest.approx(19.2, abs=0.01)
    assert waltz.used_seconds == pytest.approx(30.0) and "instead of 20-50 s" in waltz.notes[0]
    trumpet = extract_mel(clips["trumpet"])  # 5.3 s: repeated to fill 30 s
    assert trumpet.used_seconds == pytest.approx(5.33, abs=0.01)
    assert "repeated to 30 s" in trumpet.notes[0]
    period = round(trumpet.used_seconds * 16_000 / 256)  # the repeat shows in the frames
    a, b = trumpet.values[:, 100:400], trumpet.values[:, 100 + period : 400 + period]
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.9


@pytest.mark.shared
def test_frame_values_match_a_hand_computed_frame() -> None:
    path = example_clips()["brahms"]
    config = MelConfig(offset_seconds=0.0, duration_seconds=2.0)
    y, rate = sf.read(path, frames=2 * 22_050, dtype="float32")
    import librosa

    y16 = librosa.resample(y, orig_sr=rate, target_sr=16_000, res_type="soxr_hq")
    got = extract_mel(path, config).values
    assert got.shape == (48, 1 + 32_000 // 256)
    k = 50  # frame k is centred on sample k * 256
    frame = y16[k * 256 - 256 : k * 256 + 256] * blackman_harris_62(512)
    power = np.abs(np.fft.rfft(frame)) ** 2
    basis = librosa.filters.mel(sr=16_000, n_fft=512, n_mels=48, fmin=0, fmax=8000, norm="slaney")
    want = 10 * np.log10(np.maximum(2 * (basis @ power), 1e-10))
    np.testing.assert_allclose(got[:, k], want, atol=1e-2)


def test_a_tone_lights_up_its_mel_band() -> None:
    import librosa

    config = MelConfig(offset_seconds=0.0, duration_seconds=1.0)
    t = np.arange(16_000) / 16_000
    mel = mel_from_signal(0.5 * np.sin(2 * np.pi * 1000.0 * t), config)
    assert mel.shape == (48, 63)
    centres = librosa.mel_frequencies(n_mels=50, fmin=0, fmax=8000)[1:-1]
    assert abs(centres[int(np.argmax(mel[:, 30]))] - 1000.0) < 120.0


def test_compressions_agree_on_the_same_power() -> None:
    power = np.array([1e-6, 1e-3, 0.5, 10.0], dtype=np.float32)
    db = compress(power, "db")
    np.testing.assert_allclose(db, 10 * np.log10(2 * power), rtol=1e-5)
    np.testing.assert_allclose(compress(power, "log10k"), np.log10(1 + 1e4 * power), rtol=1e-5)
    assert compress(np.zeros(1, np.float32), "db")[0] == -100.0
    assert compress(np.zeros(1, np.float32), "log10k")[0] == 0.0


def test_the_db_floor_is_exact_on_every_cpu() -> None:
    """float32 log10 near 1e-10 differs in its last digit between SIMD kernels (-100.00001 with
    AVX-512 here): the floor is assigned, so silence and near-silence give exactly -100.0."""
    tiny = np.array([0.0, 1e-13, 4e-11, 5e-11, 5.000001e-11, 6e-11, 1e-3], dtype=np.float32)
    db = compress(tiny, "db")
    assert db.dtype == np.float32
    assert (db[:3] == DB_FLOOR).all() and (db >= DB_FLOOR).all()
    np.testing.assert_allclose(db[3:5], DB_FLOOR, atol=1e-4)  # at the floor: either side of it
    np.testing.assert_allclose(db[5:], 10 * np.log10(2 * tiny[5:].astype(np.float64)), atol=1e-4)
    assert (compress(np.zeros((48, 1876), np.float32), "db") == DB_FLOOR).all()  # every lane


def test_the_simd_pass_really_turns_the_kernels_off() -> None:
    """`make test-simd` sets NPY_DISABLE_CPU_FEATURES; NumPy must have honoured it."""
    from numpy._core._multiarray_umath import __cpu_features__

    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split()
    assert not [name for name in disabled if __cpu_features__.get(name)]


def _wav(path: Path, seconds: float, rate: int = 22_050) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, 0.3 * np.sin(2 * math.pi * 440 * t), rate)
    return path


@pytest.mark.parametrize(
    ("name", "content", "reason", "words"),
    [
        ("empty.wav", b"", "empty", "empty"),
        ("notes.mp3", b"these are not audio samples\n" * 40, "not_audio", "not an audio file"),
        ("song.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 400, "unsupported",
         "unsupported codec"),
    ],
)  # fmt: skip
def test_unusable_files_say_why(
    tmp_path: Path, name: str, content: bytes, reason: str, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioError, match=words) as info:
        extract_mel(path)
    assert info.value.reason == reason


def test_too_short_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"only 1\.0 s of audio") as info:
        extract_mel(_wav(tmp_path / "short.wav", 1.0))
    assert info.value.reason == "too_short"
    with pytest.raises(AudioError, match="cannot read"):
        extract_mel(tmp_path / "nowhere.wav")


def test_stereo_high_rate_file_is_mixed_and_resampled(tmp_path: Path) -> None:
    rate = 44_100
    t = np.arange(int(6 * rate)) / rate
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.zeros_like(t)], axis=1) * 0.4
    sf.write(tmp_path / "s.flac", stereo, rate)
    mel = extract_mel(tmp_path / "s.flac", MelConfig(offset_seconds=0.0, duration_seconds=5.0))
    assert mel.values.shape == (48, 313) and mel.notes == ()
    assert mel.source_seconds == pytest.approx(6.0)
