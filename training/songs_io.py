"""Named-song files (docs/named-songs.md): the `NamedSong` record, a validating reader, a writer.

Readers accept JSON Lines (`.jsonl`), a JSON list (`.json`) and CSV (`.csv`, lists separated by
`|`, keywords written `tag:weight|tag:weight`). Every error names the file and the line. Tags
(`genres`, `moods`, `keywords`) are normalised with `core.textnorm.tag_key` on reading, so
spelling variants in hand-written files pool with the canonical ones. Unknown fields are ignored.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputFileError
from core.textnorm import tag_key
from training.melon_chart import normalise_date

ARENA_ID_MAX = 707_988
CSV_LIST_SEP = "|"
CSV_WEIGHT_SEP = ":"

Keyword = tuple[str, float]


@dataclass(frozen=True, slots=True)
class NamedSong:
    """One song people may be shown: exactly the fields of docs/named-songs.md."""

    title: str
    artists: tuple[str, ...]
    arena_id: int | None = None
    album_id: int | None = None
    album: str | None = None
    melon_song_id: int | None = None
    genres: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    rank: int | None = None
    sources: tuple[str, ...] = ()
    released: str | None = None  # release date: YYYY-MM-DD, YYYY-MM or YYYY
    chart: tuple[str, ...] = ()  # monthly chart appearances "YYYY-MM:rank", oldest first


class NamedSongFormatError(InputFileError):
    """A named-song file that does not follow docs/named-songs.md (message names file and line)."""


# ---------------------------------------------------------------- validation of one record


def _require_str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field!r} must be a string, got {type(value).__name__}")
    return value.strip()


def _optional_int(value: object, field: str, low: int, high: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValueError(f"{field!r} must be an integer, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field!r} must be an integer, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"{field!r} must be {bound}, got {value}")
    return value


def _str_list(value: object, field: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):  # CSV cell
        return [part.strip() for part in value.split(CSV_LIST_SEP) if part.strip()]
    if not isinstance(value, list | tuple):
        raise ValueError(f"{field!r} must be a list of strings, got {type(value).__name__}")
    return [s for s in (_require_str(item, field) for item in value) if s]


def _tags(value: object, field: str) -> tuple[str, ...]:
    keys = (tag_key(tag) for tag in _str_list(value, field))
    return tuple(dict.fromkeys(key for key in keys if key))


def _weight(value: object) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"keyword weight must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"keyword weight must be a number, got {type(value).__name__}")
    weight = float(value)
    if not 0.0 < weight <= 1.0:  # also rejects NaN
        raise ValueError(f"keyword weight must be in (0, 1], got {weight}")
    return weight


def _keyword_pairs(value: object) -> list[tuple[object, object]]:
    if value is None or value == "":
        return []
    if isinstance(value, str):  # CSV cell: tag:weight|tag:weight
        pairs: list[tuple[object, object]] = []
        for part in filter(None, (p.strip() for p in value.split(CSV_LIST_SEP))):
            tag, sep, weight = part.rpartition(CSV_WEIGHT_SEP)
            if not sep:
                raise ValueError(f"keyword {part!r} must be written tag:weight")
            pairs.append((tag, weight))
        return pairs
    if not isinstance(value, list | tuple):
        raise ValueError(f"'keywords' must be a list of [tag, weight], got {type(value).__name__}")
    if not all(isinstance(item, list | tuple) and len(item) == 2 for item in value):
        raise ValueError("'keywords' items must be [tag, weight] pairs")
    return [(item[0], item[1]) for item in value]


def _keywords(value: object) -> tuple[Keyword, ...]:
    merged: dict[str, float] = {}
    for raw_tag, raw_weight in _keyword_pairs(value):
        key = tag_key(_require_str(raw_tag, "keywords"))
        weight = _weight(raw_weight)
        if key:
            merged[key] = max(weight, merged.get(key, 0.0))
    return tuple(merged.items())


def _date(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = _require_str(value, "released")
    date = normalise_date(text)
    if date is None:
        raise ValueError(f"'released' must be a date like 2016-04-01 or 2016, got {text!r}")
    return date


_CHART_ENTRY = re.compile(r"^(\d{4})-(\d{2}):(\d{1,3})$")


def _chart(value: object) -> tuple[str, ...]:
    entries = []
    for item in _str_list(value, "chart"):
        match = _CHART_ENTRY.match(item)
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(3)) < 1:
            raise ValueError(f"'chart' entries must look like 2016-04:3 (month:rank), got {item!r}")
        entries.append(item)
    return tuple(sorted(dict.fromkeys(entries)))


def song_from_mapping(data: Mapping[str, object]) -> NamedSong:
    """Validate one record (a JSON object or a CSV row); raises ValueError naming the field."""
    raw_title = data.get("title")
    title = "" if raw_title is None else _require_str(raw_title, "title")
    if not title:
        raise ValueError("'title' is required and must not be empty")
    artists = tuple(_str_list(data.get("artists"), "artists"))
    if not artists:
        raise ValueError("'artists' is required and must name at least one artist")
    album = data.get("album")
    return NamedSong(
        title=title,
        artists=artists,
        arena_id=_optional_int(data.get("arena_id"), "arena_id", 0, ARENA_ID_MAX),
        album_id=_optional_int(data.get("album_id"), "album_id", 0),
        album=(_require_str(album, "album") or None) if album is not None else None,
        melon_song_id=_optional_int(data.get("melon_song_id"), "melon_song_id", 1),
        genres=_tags(data.get("genres"), "genres"),
        moods=_tags(data.get("moods"), "moods"),
        keywords=_keywords(data.get("keywords")),
        rank=_optional_int(data.get("rank"), "rank", 1),
        sources=tuple(dict.fromkeys(_str_list(data.get("sources"), "sources"))),
        released=_date(data.get("released")),
        chart=_chart(data.get("chart")),
    )


def song_to_dict(song: NamedSong) -> dict[str, object]:
    """The JSON form of a song; absent (None / empty) optional fields are left out."""
    out: dict[str, object] = {"title": song.title, "artists": list(song.artists)}
    optional: dict[str, object] = {
        "arena_id": song.arena_id,
        "album_id": song.album_id,
        "album": song.album,
        "melon_song_id": song.melon_song_id,
        "genres": list(song.genres),
        "moods": list(song.moods),
        "keywords": [[tag, weight] for tag, weight in song.keywords],
        "rank": song.rank,
        "sources": list(song.sources),
        "released": song.released,
        "chart": list(song.chart),
    }
    out.update({k: v for k, v in optional.items() if v is not None and v != []})
    return out


# ---------------------------------------------------------------- files


def _records_jsonl(path: Path, text: str) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise NamedSongFormatError(f"{path}:{number}: invalid JSON: {exc.msg}") from None


def _records_json(path: Path, text: str) -> Iterator[tuple[int, object]]:
    """Items of a top-level JSON list, each with the line it starts on."""
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if not text.startswith("[", pos):
        raise NamedSongFormatError(f"{path}:{_line_of(text, pos)}: expected a JSON list of songs")
    pos = _skip_ws(text, pos + 1)
    while not text.startswith("]", pos):
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise NamedSongFormatError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        yield _line_of(text, pos), item
        pos = _skip_ws(text, end)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
        elif not text.startswith("]", pos):
            raise NamedSongFormatError(f"{path}:{_line_of(text, pos)}: expected ',' or ']'")


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _records_csv(path: Path, text: str) -> Iterator[tuple[int, object]]:
    reader = csv.DictReader(text.splitlines(keepends=True))
    if not reader.fieldnames or "title" not in reader.fieldnames:
        raise NamedSongFormatError(f"{path}:1: CSV header must name at least 'title' and 'artists'")
    for row in reader:
        if None in row:
            raise NamedSongFormatError(f"{path}:{reader.line_num}: more cells than header columns")
        yield reader.line_num, row


_READERS = {".jsonl": _records_jsonl, ".json": _records_json, ".csv": _records_csv}


def read_named_songs(paths: Sequence[Path]) -> list[NamedSong]:
    """Read and validate named-song files (.jsonl/.json/.csv), in the order given."""
    songs: list[NamedSong] = []
    for path in map(Path, paths):
        records = _READERS.get(path.suffix.lower())
        if records is None:
            raise NamedSongFormatError(f"{path}: unsupported file type (use .jsonl, .json or .csv)")
        text = path.read_text(encoding="utf-8-sig")
        for line, record in records(path, text):
            if not isinstance(record, dict):
                raise NamedSongFormatError(f"{path}:{line}: a song must be an object")
            try:
                songs.append(song_from_mapping(record))
            except ValueError as exc:
                raise NamedSongFormatError(f"{path}:{line}: {exc}") from None
    return songs


def write_jsonl(songs: Sequence[NamedSong], path: Path) -> None:
    """Write songs as JSON Lines (UTF-8, Korean kept readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for song in songs:
            fh.write(json.dumps(song_to_dict(song), ensure_ascii=False) + "\n")
