"""Melon's monthly Top-100 (`melon_monthly_chart/`): songs with real Melon ids and chart history.

`songs.jsonl` (one song per line: song_id, song_name, artist, album, release_date, genre, writers,
lyrics, chart = ["YYYY-MM:rank", ...]) or `chart.tsv` (year, month, rank, song_id, song_name,
artist; one chart entry per line, grouped here by song). Lyrics are copyrighted: `read_chart_songs`
never keeps them; `iter_lyrics` yields them one song at a time for build-time analysis only.

Chart facts used elsewhere: how long and how high a song charted (a popularity prior), when it
was released (its era), and in which months it charted (a song that returns every December is a
winter song; `season_shares`, `mostly_in`).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputFileError

MONTHLY_CHART_DIR = "melon_monthly_chart"

# Months of each season; December also has its own Christmas/year-end signal.
SEASON_MONTHS: dict[str, frozenset[int]] = {
    "봄": frozenset({3, 4, 5}),
    "여름": frozenset({6, 7, 8}),
    "가을": frozenset({9, 10, 11}),
    "겨울": frozenset({12, 1, 2}),
    "크리스마스": frozenset({12}),
}
# What `mri eval served` calls a winter / summer song ("charts mostly in ...").
SNOW_MONTHS = frozenset({11, 12, 1, 2})
BEACH_MONTHS = frozenset({6, 7, 8})


class ChartFormatError(InputFileError):
    """A chart file that is neither the monthly songs.jsonl nor chart.tsv (message names it)."""


@dataclass(frozen=True, slots=True)
class ChartEntry:
    year: int
    month: int
    rank: int


@dataclass(frozen=True, slots=True)
class ChartSong:
    """One song of the monthly chart, without its lyrics."""

    song_id: int | None
    title: str
    artist: str  # as the chart writes it: several artists joined by ", "
    album: str | None
    released: str | None  # YYYY-MM-DD, YYYY-MM or YYYY
    genres: tuple[str, ...]  # Melon genre names (발라드, 랩/힙합, R&B/Soul ...)
    entries: tuple[ChartEntry, ...]

    @property
    def months(self) -> int:
        return len(self.entries)

    @property
    def best_rank(self) -> int | None:
        return min((e.rank for e in self.entries), default=None)

    @property
    def release_year(self) -> int | None:
        return release_year(self.released)


def release_year(released: str | None) -> int | None:
    """The year of 'YYYY.MM.DD' / 'YYYY-MM-DD' / 'YYYYMMDD' / 'YYYY', if plausible."""
    digits = (released or "")[:4]
    if len(digits) == 4 and digits.isdigit() and 1900 <= int(digits) <= 2100:
        return int(digits)
    return None


def normalise_date(raw: str | None) -> str | None:
    """'1999.11.20' / '19991120' / '1999.11' -> '1999-11-20' / '1999-11'; junk -> None."""
    text = (raw or "").strip().replace(".", "-").replace("/", "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    parts = [p for p in text.split("-") if p]
    if not parts or release_year(parts[0]) is None or not all(p.isdigit() for p in parts):
        return None
    parts = [parts[0], *(p for p in parts[1:3] if p.strip("0"))]
    return "-".join(p.zfill(2) if i else p for i, p in enumerate(parts))


def _entry(text: str) -> ChartEntry:
    month, _, rank = text.partition(":")
    return ChartEntry(int(month[:4]), int(month[5:7]), int(rank))


def parse_entries(chart: Iterable[str]) -> tuple[ChartEntry, ...]:
    """'YYYY-MM:rank' strings (as named-song files write them) -> chart entries."""
    return tuple(_entry(text) for text in chart)


def _song_id(value: object) -> int | None:
    if value is None or value == "":
        return None
    return int(str(value))


def _genres(raw: str | None) -> tuple[str, ...]:
    names = (g.strip() for g in (raw or "").split(","))
    return tuple(dict.fromkeys(g for g in names if g and g != "-"))


def _read_jsonl(path: Path) -> Iterator[tuple[dict[str, object], ChartSong]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                song = ChartSong(
                    song_id=_song_id(row.get("song_id")),
                    title=str(row["song_name"]).strip(),
                    artist=str(row["artist"]).strip(),
                    album=(str(row.get("album") or "").strip() or None),
                    released=normalise_date(row.get("release_date")),
                    genres=_genres(row.get("genre")),
                    entries=tuple(_entry(c) for c in row.get("chart") or ()),
                )
            except (json.JSONDecodeError, KeyError, ValueError, TypeError, AttributeError) as exc:
                raise ChartFormatError(
                    f"{path}:{number}: not a monthly-chart song ({type(exc).__name__}: {exc})"
                ) from None
            yield row, song


def _read_tsv(path: Path) -> list[ChartSong]:
    groups: dict[tuple[str, ...], list[ChartEntry]] = defaultdict(list)
    names: dict[tuple[str, ...], tuple[int | None, str, str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        wanted = {"year", "month", "rank", "song_id", "song_name", "artist"}
        if not wanted <= set(reader.fieldnames or ()):
            raise ChartFormatError(f"{path}: a chart TSV needs the columns {sorted(wanted)}")
        for row in reader:
            try:
                sid = _song_id(row["song_id"])
                key = (str(sid),) if sid is not None else (row["song_name"], row["artist"])
                groups[key].append(
                    ChartEntry(int(row["year"]), int(row["month"]), int(row["rank"]))
                )
            except (ValueError, TypeError) as exc:
                raise ChartFormatError(f"{path}:{reader.line_num}: {exc}") from None
            names.setdefault(key, (sid, row["song_name"].strip(), row["artist"].strip()))
    return [
        ChartSong(sid, title, artist, None, None, (), tuple(groups[key]))
        for key, (sid, title, artist) in names.items()
    ]


def read_chart_songs(path: Path) -> list[ChartSong]:
    """Songs of a monthly-chart file (`songs.jsonl` or `chart.tsv`), lyrics dropped.

    A folder means its `songs.jsonl`. Raises ChartFormatError (a ValueError) naming the file."""
    path = Path(path)
    if path.is_dir():
        path = path / "songs.jsonl"
    if not path.is_file():
        raise ChartFormatError(f"chart file {path} does not exist")
    if path.suffix.lower() == ".tsv":
        songs = _read_tsv(path)
    else:
        songs = [song for _, song in _read_jsonl(path)]
    if not songs:
        raise ChartFormatError(f"{path} holds no chart songs")
    return songs


def iter_lyrics(path: Path) -> Iterator[tuple[ChartSong, str]]:
    """(song, its lyrics as one text) for build-time analysis. Never store or log the text."""
    path = Path(path)
    if path.is_dir():
        path = path / "songs.jsonl"
    for row, song in _read_jsonl(path):
        lines = row.get("lyrics") or []
        text = "\n".join(str(x) for x in lines) if isinstance(lines, list) else ""
        yield song, text


def season_shares(entries: Sequence[ChartEntry]) -> dict[str, float]:
    """Share of a song's chart months that fall in each season of SEASON_MONTHS."""
    if not entries:
        return {}
    return {
        season: sum(e.month in months for e in entries) / len(entries)
        for season, months in SEASON_MONTHS.items()
    }


def season_returns(entries: Sequence[ChartEntry], months: Iterable[int]) -> int:
    """In how many distinct years (a December counted with the next January) the song charted
    in these months: 2 or more means it came back."""
    wanted = set(months)
    return len({e.year + (e.month == 12) for e in entries if e.month in wanted})


def mostly_in(entries: Sequence[ChartEntry], months: frozenset[int]) -> bool:
    """More than half of the song's chart months fall in `months`."""
    return bool(entries) and 2 * sum(e.month in months for e in entries) > len(entries)
