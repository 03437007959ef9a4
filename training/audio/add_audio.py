"""`mri catalog add-audio`: audio files + a metadata CSV -> a new catalog with those songs.

The CSV has a header row; columns (case does not matter):

    file        the audio file, relative to the audio folder          (required)
    title       the song's title                                      (required)
    artist      artist name(s), several separated by ';'              (required)
    album       album name                                            (optional)
    album_id    Melon album id: the song then links to its album       (optional)
    melon_id    Melon song id (also `melon_song_id`)                   (optional)

Each file becomes a mel-spectrogram (the settings stored with the model), the model places it in
the catalog's tag space, and the songs are appended to a copy of the catalog (training/
catalog_append.py). A file that cannot be used (missing, empty, not audio, an unsupported codec,
too short) gets one message and the others go on. New songs get the median popularity prior of
the catalog's named songs: the audio says where a song belongs, not how popular it is.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.catalog import Catalog, load_catalog
from core.errors import InputFileError
from core.songkeys import key_of
from training.audio.checkpoint import AudioEmbedder, describe, file_sha256, tag_space_fingerprint
from training.audio.mel import AudioError, extract_mel
from training.catalog_append import append_songs

log = logging.getLogger(__name__)

CHUNK = 32  # clips embedded together (bounded memory for large folders)


class AddAudioError(InputFileError):
    """The whole batch cannot go on (bad CSV, a model for another tag space, nothing usable)."""


@dataclass(frozen=True)
class AudioSong:
    """One CSV row."""

    line: int
    file: str
    title: str
    artists: tuple[str, ...]
    album: str | None = None
    album_id: int | None = None
    melon_song_id: int | None = None


@dataclass
class FileOutcome:
    """What happened to one CSV row: added as `song_id`, or why not."""

    file: str
    song_id: str | None = None
    error: str | None = None
    notes: tuple[str, ...] = ()
    title: str = ""
    artists: tuple[str, ...] = ()


@dataclass
class AddAudioResult:
    outcomes: list[FileOutcome] = field(default_factory=list)
    manifest: dict[str, Any] | None = None

    @property
    def added(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.song_id]

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.error]


def _int(value: str | None, what: str, line: int) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"line {line}: {what} {value!r} is not a number") from None


def read_meta(path: Path) -> tuple[list[AudioSong], list[FileOutcome]]:
    """Rows of the metadata CSV, and an outcome for each row that is unusable as written."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise AddAudioError(f"cannot read the metadata file {path}: {exc}") from None
    if not rows:
        raise AddAudioError(f"{path} has no songs (a header row and one row per file)")
    columns = {c.strip().lower(): c for c in rows[0] if c}
    missing = [
        c for c in ("file", "title", "artist") if c not in columns and c + "s" not in columns
    ]
    if missing:
        raise AddAudioError(f"{path} lacks the column(s) {', '.join(missing)} (see --help)")

    def get(row: dict[str, str], *names: str) -> str:
        for name in names:
            if name in columns and row.get(columns[name]):
                return row[columns[name]].strip()
        return ""

    songs, bad = [], []
    for line, row in enumerate(rows, start=2):
        file, title = get(row, "file"), get(row, "title")
        artists = tuple(a.strip() for a in get(row, "artist", "artists").split(";") if a.strip())
        if not file or not title or not artists:
            bad.append(FileOutcome(file or f"(line {line})", error=f"line {line}: needs a file, "
                                   "a title and an artist"))  # fmt: skip
            continue
        try:
            songs.append(
                AudioSong(
                    line=line,
                    file=file,
                    title=title,
                    artists=artists,
                    album=get(row, "album") or None,
                    album_id=_int(get(row, "album_id"), "album_id", line),
                    melon_song_id=_int(get(row, "melon_id", "melon_song_id"), "melon_id", line),
                )
            )
        except ValueError as exc:
            bad.append(FileOutcome(file, error=str(exc)))
    return songs, bad


def _song_id(song: AudioSong, path: Path) -> str:
    if song.melon_song_id is not None:
        return f"melon:{song.melon_song_id}"
    return "audio:" + file_sha256(path)[:12]


def _prior(catalog: Catalog) -> tuple[float, float]:
    """(popularity, bias) of a typical named song: medians over the catalog's named songs."""
    rows = catalog.named if len(catalog.named) else np.arange(len(catalog.songs))
    return (
        float(np.median(catalog.song_popularity[rows])),
        float(np.median(catalog.song_bias[rows])),
    )


def check_model_fits(embedder: AudioEmbedder, catalog: Catalog) -> None:
    """The model must predict vectors of this catalog's tag space."""
    trained = embedder.catalog
    if int(trained.get("dim", -1)) != catalog.dim:
        raise AddAudioError(
            f"the audio model predicts {trained.get('dim')}-dim vectors, the catalog "
            f"{catalog.version} has {catalog.dim}-dim ones"
        )
    if trained.get("tag_space") != tag_space_fingerprint(catalog.manifest):
        raise AddAudioError(
            f"the audio model was trained for catalog {trained.get('version')}'s tag space; "
            f"catalog {catalog.version} has another one (it was built separately). Train a "
            "model for it with `mri audio train --catalog`, or add the songs to that catalog"
        )


def _record(song: AudioSong, song_id: str, popularity: float) -> dict[str, Any]:
    """The songs.jsonl row of a song placed from audio."""
    return {
        "id": song_id,
        "arena_id": None,
        "popularity": round(popularity, 3),
        "title": song.title,
        "artists": list(song.artists),
        "album": song.album,
        "album_id": song.album_id,
        "melon_song_id": song.melon_song_id,
        "genres": [],
        "source": "audio",
    }


class _Placer:
    """Collects usable clips and embeds them CHUNK at a time (bounded memory)."""

    def __init__(self, embedder: AudioEmbedder, report: Callable[[FileOutcome], None]) -> None:
        self.embedder, self.report = embedder, report
        self.records: list[dict[str, Any]] = []
        self.vectors: list[np.ndarray] = []
        self.pending: list[tuple[FileOutcome, dict[str, Any], np.ndarray]] = []

    def add(self, outcome: FileOutcome, record: dict[str, Any], mel: np.ndarray) -> None:
        self.pending.append((outcome, record, mel))
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        placed = self.embedder.embed(np.stack([mel for _, _, mel in self.pending]))
        for (outcome, record, _), vector in zip(self.pending, placed, strict=True):
            self.records.append(record)
            self.vectors.append(vector)
            self.report(outcome)
        self.pending.clear()


def add_audio(
    audio_dir: Path,
    meta: Path,
    catalog_dir: Path,
    model: Path,
    out: Path,
    *,
    on_outcome: Callable[[FileOutcome], None] | None = None,
) -> AddAudioResult:
    """Place every usable file's song and write `catalog_dir` + those songs to `out`."""
    embedder = AudioEmbedder.load(model)
    catalog = load_catalog(catalog_dir)
    check_model_fits(embedder, catalog)
    songs, bad = read_meta(meta)
    result = AddAudioResult()

    def report(outcome: FileOutcome) -> None:
        result.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    for outcome in bad:
        report(outcome)
    taken = {s.id for s in catalog.songs}
    names = {key_of(s.title or "", s.artists): s.id for s in catalog.songs if s.named}
    popularity, bias = _prior(catalog)
    placer = _Placer(embedder, report)
    for song in songs:
        outcome = FileOutcome(song.file, title=song.title, artists=song.artists)
        path = Path(audio_dir) / song.file
        try:
            if not path.is_file():
                raise AudioError("missing", f"no such file in {audio_dir}")
            sid, key = _song_id(song, path), key_of(song.title, song.artists)
            if sid in taken or key in names:
                same = sid if sid in taken else names[key]
                raise AudioError("duplicate", f"already in the catalog (or this batch) as {same}")
            clip = extract_mel(path, embedder.mel)
        except AudioError as exc:
            outcome.error = str(exc)
            report(outcome)
            continue
        outcome.song_id, outcome.notes = sid, clip.notes
        taken.add(sid)  # a later row with the same audio or name is a duplicate
        names[key] = sid
        placer.add(outcome, _record(song, sid, popularity), clip.values)
    placer.flush()
    if not placer.records:
        raise AddAudioError(
            f"none of the {len(result.outcomes)} songs could be added, so no catalog was written"
        )
    provenance = {
        "kind": "audio",
        "model": describe(embedder, Path(model)),
        "meta": {"name": Path(meta).name, "sha256": file_sha256(Path(meta))},
        "failed": len(result.failed),
    }
    result.manifest = append_songs(
        Path(catalog_dir),
        placer.records,
        np.stack(placer.vectors),
        np.full(len(placer.records), bias, dtype=np.float32),
        Path(out),
        provenance,
    )
    return result
