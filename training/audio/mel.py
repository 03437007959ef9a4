"""Audio file -> mel-spectrogram, computed the way Arena's released mels were.

Arena's mels (`arena_mel`, shape 48 x 1876) come from the extraction script published with the
dataset paper (Ferraro et al., ICASSP 2021; `audio_extract.melspectrogram` in andrebola/icassp2021,
run with Essentia): audio resampled to 16 kHz, seconds 20-50, frames of 512 samples every 256
(the first one centred on sample 0, so 30 s give 1 + 480000 // 256 = 1876 frames), a 62 dB
Blackman-Harris window, power spectrum, 48 Slaney mel bands with unit-area triangles, then a
log compression. The script computes two compressions, 10·log10(2x) ("db", floored at -100 like
Essentia's lin2db) and log10(1 + 10⁴x) ("log10k"); which one Arena shipped is not documented, so
`mri audio train` looks at the Arena files and records it in the checkpoint, and add-audio
extracts with the recorded one. We use librosa and soundfile instead of Essentia; the network
also standardises every clip, so small differences in level do not matter.

Clips shorter than offset + duration use the last full window that exists; clips shorter than
the window are repeated (or padded with silence) to fill it. Each case adds a note saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

from core.errors import InputFileError

log = logging.getLogger(__name__)

Compression = Literal["db", "log10k"]
ShortClip = Literal["repeat", "silence"]

# Containers libsndfile cannot decode, recognised by their first bytes, so the message can
# say "unsupported codec" instead of "not audio".
_UNSUPPORTED = (
    (4, b"ftyp", "MP4/M4A (AAC or ALAC)"),
    (0, b"\x30\x26\xb2\x75", "WMA/ASF"),
    (0, b"MAC ", "Monkey's Audio (APE)"),
    (0, b"fLaC", None),  # FLAC is supported; listed so it is never called unsupported
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"#!AMR", "AMR"),
    (0, b"ADIF", "AAC (ADIF)"),
)


@dataclass(frozen=True)
class MelConfig:
    """How a clip becomes a mel-spectrogram (defaults: Arena's released mels)."""

    sample_rate: int = 16_000
    n_mels: int = 48
    n_fft: int = 512
    hop_length: int = 256
    offset_seconds: float = 20.0
    duration_seconds: float = 30.0
    fmin: float = 0.0
    fmax: float | None = None  # None = sample_rate / 2
    compression: Compression = "db"
    short_clip: ShortClip = "repeat"
    min_seconds: float = 5.0  # shorter clips are refused

    @property
    def samples(self) -> int:
        return round(self.duration_seconds * self.sample_rate)

    @property
    def frames(self) -> int:
        """Frames per clip: 1876 for Arena's 30 s at 16 kHz, hop 256."""
        return 1 + self.samples // self.hop_length


class AudioError(InputFileError):
    """A file that cannot become a mel-spectrogram; `reason` is a short machine-readable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class MelClip:
    """A mel-spectrogram (n_mels x frames, float32) and where in the file it came from."""

    values: np.ndarray
    source_seconds: float
    start_seconds: float
    used_seconds: float
    notes: tuple[str, ...] = ()


def blackman_harris_62(n: int) -> np.ndarray:
    """Essentia's 3-term, 62 dB Blackman-Harris window (symmetric)."""
    a0, a1, a2 = 0.44959, 0.49364, 0.05677
    i = np.arange(n, dtype=np.float64)
    phase = 2.0 * np.pi * i / (n - 1)
    return (a0 - a1 * np.cos(phase) + a2 * np.cos(2.0 * phase)).astype(np.float32)


@lru_cache(maxsize=8)
def _mel_basis(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    import librosa  # slow import (numba); only when a clip is actually converted

    basis = librosa.filters.mel(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=False, norm="slaney"
    )
    return np.asarray(basis, dtype=np.float32)


DB_FLOOR = -100.0  # Essentia's lin2db floor: 10·log10(1e-10)


def compress(power: np.ndarray, compression: Compression) -> np.ndarray:
    """Log compression of mel power: 10·log10(2x) floored at -100 dB, or log10(1 + 10⁴x).

    The floor is assigned, not computed: float32 log10(1e-10) is -10.000001 with some SIMD
    kernels and -10.0 with others, so silence is exactly DB_FLOOR on every CPU."""
    if compression == "db":
        doubled = 2.0 * power
        with np.errstate(divide="ignore"):  # log10(0) = -inf, replaced by the floor below
            db = 10.0 * np.log10(doubled)
        return np.where(doubled > 1e-10, np.maximum(db, DB_FLOOR), DB_FLOOR).astype(np.float32)
    return np.log10(1.0 + 1e4 * power).astype(np.float32)


def mel_from_signal(y: np.ndarray, config: MelConfig) -> np.ndarray:
    """(n_mels, 1 + len(y) // hop) mel-spectrogram of a mono signal at config.sample_rate."""
    import librosa

    spec = librosa.stft(
        np.ascontiguousarray(y, dtype=np.float32),
        n_fft=config.n_fft,
        hop_length=config.hop_length,
        window=blackman_harris_62(config.n_fft),
        center=True,
        pad_mode="constant",
    )
    power = np.abs(spec) ** 2
    fmax = config.fmax if config.fmax is not None else config.sample_rate / 2
    mel = _mel_basis(config.sample_rate, config.n_fft, config.n_mels, config.fmin, fmax) @ power
    return compress(mel, config.compression)


def _sniff_unsupported(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    for at, magic, name in _UNSUPPORTED:
        if head[at : at + len(magic)] == magic:
            return name
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0:
        return "AAC (ADTS)"
    return None


def _window(total: float, config: MelConfig) -> tuple[float, float, list[str]]:
    """(start, length) in seconds of the part of a `total`-second clip to use, and notes."""
    want_end = config.offset_seconds + config.duration_seconds
    if total >= want_end:
        return config.offset_seconds, config.duration_seconds, []
    if total >= config.duration_seconds:
        start = total - config.duration_seconds
        return (
            start,
            config.duration_seconds,
            [
                f"the clip is {total:.1f} s long: used {start:.1f}-{total:.1f} s instead of "
                f"{config.offset_seconds:g}-{want_end:g} s"
            ],
        )
    how = "repeated" if config.short_clip == "repeat" else "padded with silence"
    return (
        0.0,
        total,
        [
            f"the clip is only {total:.1f} s long: all of it was used, {how} to "
            f"{config.duration_seconds:g} s"
        ],
    )


@dataclass(frozen=True)
class RawClip:
    """The mono samples of the window `MelConfig` asks for, at the file's own rate."""

    samples: np.ndarray
    rate: float
    start_seconds: float
    source_seconds: float
    notes: tuple[str, ...]


def read_clip(path: Path, config: MelConfig) -> RawClip:
    """The window of a file `config` asks for, mixed to mono. Raises AudioError with a reason
    (empty, too_short, unsupported, not_audio, corrupt, unreadable) for unusable files."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError("unreadable", f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise AudioError("empty", "the file is empty")
    try:
        with sf.SoundFile(path) as f:
            rate, total_frames = int(f.samplerate), int(f.frames)
            if rate <= 0 or total_frames <= 0:
                raise AudioError("empty", "the file holds no audio samples")
            total = total_frames / rate
            if total < config.min_seconds:
                raise AudioError(
                    "too_short",
                    f"only {total:.1f} s of audio; at least {config.min_seconds:g} s are needed",
                )
            start, length, notes = _window(total, config)
            f.seek(int(start * rate))
            data = f.read(round(length * rate), dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        codec = _sniff_unsupported(path)
        if codec:
            raise AudioError(
                "unsupported",
                f"unsupported codec or container ({codec}); convert it to WAV, FLAC, OGG or MP3",
            ) from None
        raise AudioError("not_audio", f"not an audio file this system can decode ({exc})") from None
    if len(data) == 0:
        raise AudioError("empty", "no audio could be decoded from the file")
    y = data.mean(axis=1)
    if not np.all(np.isfinite(y)):
        raise AudioError("corrupt", "the decoded audio holds NaN or infinite samples")
    if float(np.max(np.abs(y))) == 0.0:
        notes.append("the clip is silent")
    return RawClip(y, float(rate), start, total, tuple(notes))


def _fill(y: np.ndarray, n: int, how: ShortClip) -> np.ndarray:
    if len(y) >= n:
        return y[:n]
    if how == "repeat":
        return np.tile(y, -(-n // len(y)))[:n]
    return np.pad(y, (0, n - len(y)))


def extract_mel(path: Path, config: MelConfig | None = None) -> MelClip:
    """The mel-spectrogram of one audio file (see the module docstring for the window)."""
    import librosa

    config = config or MelConfig()
    clip = read_clip(path, config)
    y = clip.samples
    if int(clip.rate) != config.sample_rate:
        y = librosa.resample(y, orig_sr=clip.rate, target_sr=config.sample_rate, res_type="soxr_hq")
    y = _fill(np.asarray(y, dtype=np.float32), config.samples, config.short_clip)
    return MelClip(
        values=mel_from_signal(y, config),
        source_seconds=round(clip.source_seconds, 3),
        start_seconds=round(clip.start_seconds, 3),
        used_seconds=round(len(clip.samples) / clip.rate, 3),
        notes=clip.notes,
    )
