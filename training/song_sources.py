"""The shared raw song lists, read into `NamedSong` rows (one per list entry, not yet merged).

Sources (see shared/data/SOURCES.md for provenance and licences):

* Melon monthly Top-100 2000-2023 (`melon_monthly_chart/songs.jsonl`): real Melon song ids,
  album, release date, Melon genres and every chart month (training/melon_chart.py).
* Melon genre charts (`korean_melon_genre_chart_lyrics/*.csv`): title, singer, chart position and
  a genre tag per file.
* feelm emotion lists (`feelm_emotion_songs/*_music_list.csv`): emotion -> mood tags.
* Arena song metadata (`melon_song_meta/song_meta_subset.json`): Arena ids, albums, genre codes,
  issue dates.

The lyrics of both charts are copyrighted: readers hand them out next to the song (`LyricRow`)
for keyword analysis in memory, and nothing here writes or logs them.
"""

from __future__ import annotations

import csv
import functools
import json
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from training.artists import split_artists
from training.melon_chart import MONTHLY_CHART_DIR, iter_lyrics, normalise_date
from training.songs_io import NamedSong, song_from_mapping

logger = logging.getLogger(__name__)

CHART_DIR = "korean_melon_genre_chart_lyrics"
FEELM_DIR = "feelm_emotion_songs"
SONG_META_FILE = Path("melon_song_meta") / "song_meta_subset.json"
GENRE_NAMES_FILE = Path("melon_kakao_arena_subset") / "genre_gn_all.json"
MELON_GENRES = Path(__file__).parent / "resources" / "melon_genres.tsv"

SOURCE_META = "arena_song_meta"
SOURCE_MONTHLY = "melon_monthly_chart"
SOURCE_CHART = "melon_genre_chart"
SOURCE_FEELM = "feelm"
# Earlier wins for scalar fields (ids, album, display title/artists) and comes first in the output.
SOURCE_PRIORITY = (SOURCE_META, SOURCE_MONTHLY, SOURCE_CHART, SOURCE_FEELM)

# chart file stem -> genre tags
CHART_GENRES: dict[str, tuple[str, ...]] = {
    "ballad": ("발라드",),
    "dance": ("댄스",),
    "RB": ("알앤비",),
    "raphip": ("힙합", "랩"),
    "indi": ("인디",),
    "rock": ("락",),
    "fork": ("포크",),
    "tro": ("트로트",),
}

# feelm list name (file `<name>_music_list.csv`) -> mood tags. `sed` is feelm's spelling of "sad".
# joy and surprised are left out on purpose: SOURCES.md notes the two files are byte-identical
# placeholders (the same Western songs), so they say nothing about either emotion.
FEELM_MOODS: dict[str, tuple[str, ...]] = {
    "anger": ("스트레스", "분노"),
    "depressed": ("우울", "위로"),
    "happiness": ("행복", "기분전환", "신나는"),
    "happiness2": ("행복", "기분전환", "신나는"),
    "love": ("사랑", "설렘"),
    "sed": ("슬픔", "이별"),
}
FEELM_SKIPPED = frozenset({"joy", "surprised"})

# Arena top-level genre code -> genre tag (names in genre_gn_all.json; GN2300 종교음악 and
# GN2900 뮤지컬 have no tag on purpose).
GENRE_CODE_TAGS: dict[str, str] = {
    "GN0100": "발라드",
    "GN0200": "댄스",
    "GN0300": "힙합",
    "GN0400": "알앤비",
    "GN0500": "인디",
    "GN0600": "락",
    "GN0700": "트로트",
    "GN0800": "포크",
    "GN0900": "팝",
    "GN1000": "락",
    "GN1100": "일렉",
    "GN1200": "힙합",
    "GN1300": "알앤비",
    "GN1400": "포크",
    "GN1500": "ost",
    "GN1600": "클래식",
    "GN1700": "재즈",
    "GN1800": "뉴에이지",
    "GN1900": "jpop",
    "GN2000": "월드뮤직",
    "GN2100": "ccm",
    "GN2200": "동요",
    "GN2400": "국악",
    "GN2500": "아이돌",
    "GN2600": "일렉",
    "GN2700": "edm",
    "GN2800": "힐링",
    "GN3000": "크리스마스",
}


class LyricRow(NamedTuple):
    song: NamedSong
    lyric: str  # analysed only; never written or logged


def _read_csv_rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing columns {missing} (has {reader.fieldnames})")
        return [{c: (row.get(c) or "").strip() for c in columns} for row in reader]


def _listed_song(
    title: str, singer: str, rank: int, source: str, **tags: Sequence[str]
) -> NamedSong | None:
    artists = split_artists(singer)
    if not title or not artists:
        return None
    record: dict[str, object] = {"title": title, "artists": list(artists), "rank": rank}
    record |= {"sources": [source]} | {name: list(values) for name, values in tags.items()}
    return song_from_mapping(record)


def read_chart(shared_dir: Path) -> list[LyricRow]:
    """Genre-chart rows (rank = row position in its chart), lyric kept in memory for analysis."""
    rows: list[LyricRow] = []
    for stem, genres in CHART_GENRES.items():
        path = shared_dir / CHART_DIR / f"{stem}.csv"
        if not path.is_file():
            logger.warning("genre chart %s is missing; skipped", path)
            continue
        for rank, row in enumerate(_read_csv_rows(path, ("Title", "Singer", "Lyric")), start=1):
            source = f"{SOURCE_CHART}:{stem}"
            song = _listed_song(row["Title"], row["Singer"], rank, source, genres=genres)
            if song is not None:
                rows.append(LyricRow(song, row["Lyric"]))
    return rows


def read_feelm(shared_dir: Path) -> list[NamedSong]:
    """feelm emotion lists (rank = row position in its list); joy/surprised are skipped."""
    folder = shared_dir / FEELM_DIR
    known = FEELM_MOODS.keys() | FEELM_SKIPPED
    for path in sorted(folder.glob("*_music_list.csv")):
        if path.name.removesuffix("_music_list.csv") not in known:
            logger.warning("feelm list %s has no mood mapping; skipped", path.name)
    songs: list[NamedSong] = []
    for name, moods in FEELM_MOODS.items():
        path = folder / f"{name}_music_list.csv"
        if not path.is_file():
            logger.warning("feelm list %s is missing; skipped", path)
            continue
        for rank, row in enumerate(_read_csv_rows(path, ("music", "singer")), start=1):
            source = f"{SOURCE_FEELM}:{name}"
            song = _listed_song(row["music"], row["singer"], rank, source, moods=moods)
            if song is not None:
                songs.append(song)
    return songs


def _load_json(path: Path) -> object:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _genre_names(path: Path) -> dict[str, str]:
    names = _load_json(path)
    if not isinstance(names, dict):
        raise ValueError(f"{path}: expected a code -> name object")
    unknown = sorted(set(GENRE_CODE_TAGS) - set(names))
    if unknown:
        logger.warning("genre codes %s are not in %s", unknown, GENRE_NAMES_FILE)
    return {str(code): str(name) for code, name in names.items()}


def _meta_genres(codes: object, names: dict[str, str], unmapped: Counter[str]) -> list[str]:
    tags: list[str] = []
    for code in codes if isinstance(codes, list) else []:
        if code in GENRE_CODE_TAGS:
            tags.append(GENRE_CODE_TAGS[code])
        else:
            unmapped[f"{code} {names.get(str(code), '(unknown code)')}"] += 1
    return tags


def read_song_meta(shared_dir: Path) -> list[NamedSong]:
    """The shared 351-id subset of Arena's song_meta.json."""
    return read_song_meta_file(shared_dir / SONG_META_FILE, shared_dir / GENRE_NAMES_FILE)


def read_song_meta_file(path: Path, genre_names: Path) -> list[NamedSong]:
    """Arena songs with a name and artists from any song_meta.json (the subset or the full
    release); genre codes mapped through GENRE_CODE_TAGS, names from genre_gn_all.json."""
    rows = _load_json(path)
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a JSON list of songs")
    names = _genre_names(genre_names)
    unmapped: Counter[str] = Counter()
    songs: list[NamedSong] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"{path}: item {index}: expected an object")
        artists = [a.strip() for a in row.get("artist_name_basket") or [] if a.strip()]
        title = (row.get("song_name") or "").strip()
        if not title or not artists:
            continue  # a song is only shown with a title and an artist
        record = {
            "title": title,
            "artists": artists,
            "arena_id": row.get("id"),
            "album_id": row.get("album_id"),
            "album": row.get("album_name"),
            "genres": _meta_genres(row.get("song_gn_gnr_basket"), names, unmapped),
            "released": normalise_date(str(row.get("issue_date") or "")),
            "sources": [SOURCE_META],
        }
        try:
            songs.append(song_from_mapping(record))
        except ValueError as exc:
            raise ValueError(f"{path}: item {index}: {exc}") from None
    if unmapped:
        logger.info("genre codes without a tag (dropped): %s", dict(unmapped))
    return songs


@functools.cache
def melon_genre_tags(path: Path = MELON_GENRES) -> dict[str, tuple[str, ...]]:
    """Melon genre name (발라드, 랩/힙합, R&B/Soul ...) -> catalog genre tags."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)
        return {name: tuple(tags.split(",")) for name, tags in reader}


def monthly_genres(names: Sequence[str], unmapped: Counter[str]) -> list[str]:
    table = melon_genre_tags()
    tags: list[str] = []
    for name in names:
        if name in table:
            tags.extend(table[name])
        else:
            unmapped[name] += 1
    return tags


def read_monthly_chart(shared_dir: Path) -> list[LyricRow]:
    """Melon monthly-chart songs (rank = best monthly rank) with their lyric for analysis."""
    path = shared_dir / MONTHLY_CHART_DIR / "songs.jsonl"
    if not path.is_file():
        logger.warning("monthly chart %s is missing; skipped", path)
        return []
    rows: list[LyricRow] = []
    unmapped: Counter[str] = Counter()
    for chart_song, lyric in iter_lyrics(path):
        artists = split_artists(chart_song.artist)
        if not chart_song.title or not artists:
            continue
        record: dict[str, object] = {
            "title": chart_song.title,
            "artists": list(artists),
            "melon_song_id": chart_song.song_id,
            "album": chart_song.album,
            "released": chart_song.released,
            "genres": monthly_genres(chart_song.genres, unmapped),
            "rank": chart_song.best_rank,
            "chart": [f"{e.year:04d}-{e.month:02d}:{e.rank}" for e in chart_song.entries],
            "sources": [SOURCE_MONTHLY],
        }
        rows.append(LyricRow(song_from_mapping(record), lyric))
    if unmapped:
        logger.info("Melon genres without a tag (dropped): %s", dict(unmapped))
    return rows
