"""Turn the shared raw song lists into named songs (docs/named-songs.md), written as JSON Lines.

The lists (training/song_sources.py) overlap: about 1,100 genre-chart songs, 350 emotion-list
songs and 20 Arena songs are also in the monthly chart. Rows of one song (`core.songkeys`: the
same title and first artist once credits, versions and spelling are set aside) become one named
song: ids, album and display name from the highest-priority source (Arena metadata, then the
monthly chart, then the genre charts, then the emotion lists; within a source the best rank),
tags and chart months from all of them. Chart lyrics are analysed into keywords
(training/lyric_keywords.py) and never written or logged.

    python -m training.named_songs --shared ../shared/data --out named_songs.jsonl
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from core.songkeys import SongKey, key_of
from training.lyric_keywords import TOP_KEYWORDS, lyric_keywords
from training.song_sources import (
    SOURCE_PRIORITY,
    LyricRow,
    read_chart,
    read_feelm,
    read_monthly_chart,
    read_song_meta,
)
from training.songs_io import NamedSong, write_jsonl

__all__ = ["NamedSong", "build_named_songs", "merge_songs", "song_key", "write_jsonl"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def song_key(song: NamedSong) -> SongKey:
    """Dedupe key: `core.songkeys.key_of` (credits, versions and spelling set aside)."""
    return key_of(song.title, song.artists)


def _with_keywords(rows: Sequence[LyricRow]) -> list[NamedSong]:
    """Songs with keywords from the first non-empty lyric of each distinct song (tf-idf over
    all of them at once, so that words every song uses weigh little)."""
    lyric_of: dict[SongKey, str] = {}
    for row in rows:
        if row.lyric.strip():
            lyric_of.setdefault(song_key(row.song), row.lyric)
    keys = list(lyric_of)
    keywords = dict(zip(keys, lyric_keywords([lyric_of[k] for k in keys]), strict=True))
    return [replace(row.song, keywords=keywords.get(song_key(row.song), ())) for row in rows]


# -------------------------------------------------------------------------------------- merge


def _source_priority(song: NamedSong) -> int:
    kinds = (source.partition(":")[0] for source in song.sources)
    ranks = [SOURCE_PRIORITY.index(k) for k in kinds if k in SOURCE_PRIORITY]
    return min(ranks, default=len(SOURCE_PRIORITY))


def _rank_or_last(song: NamedSong) -> int:
    return song.rank if song.rank is not None else sys.maxsize


def _clusters(group: list[NamedSong]) -> list[list[NamedSong]]:
    """Split a key group so that distinct Arena ids (other album versions) stay distinct."""
    ids = sorted({song.arena_id for song in group if song.arena_id is not None})
    if len(ids) <= 1:
        return [group]
    clusters = {arena_id: [s for s in group if s.arena_id == arena_id] for arena_id in ids}
    clusters[ids[0]].extend(s for s in group if s.arena_id is None)
    return list(clusters.values())


def _first(values: Iterable[T | None]) -> T | None:
    return next((v for v in values if v is not None), None)


def _merge(records: Sequence[NamedSong]) -> NamedSong:
    ordered = sorted(records, key=lambda s: (_source_priority(s), _rank_or_last(s)))
    weights: dict[str, float] = {}
    for song in ordered:
        for tag, weight in song.keywords:
            weights[tag] = max(weight, weights.get(tag, 0.0))
    keywords = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_KEYWORDS]
    ranks = [s.rank for s in ordered if s.rank is not None]
    return NamedSong(
        title=ordered[0].title,
        artists=ordered[0].artists,
        arena_id=_first(s.arena_id for s in ordered),
        album_id=_first(s.album_id for s in ordered),
        album=_first(s.album for s in ordered),
        melon_song_id=_first(s.melon_song_id for s in ordered),
        genres=tuple(dict.fromkeys(g for s in ordered for g in s.genres)),
        moods=tuple(dict.fromkeys(m for s in ordered for m in s.moods)),
        keywords=tuple(keywords),
        rank=min(ranks, default=None),
        sources=tuple(dict.fromkeys(src for s in ordered for src in s.sources)),
        released=_first(s.released for s in ordered),
        chart=_merge_chart(s.chart for s in ordered),
    )


def _merge_chart(charts: Iterable[Sequence[str]]) -> tuple[str, ...]:
    """Chart months of all versions of a song, each month once with its best rank."""
    best: dict[str, int] = {}
    for entry in (e for chart in charts for e in chart):
        month, _, rank = entry.partition(":")
        best[month] = min(int(rank), best.get(month, int(rank)))
    return tuple(f"{month}:{rank}" for month, rank in sorted(best.items()))


def _output_order(song: NamedSong) -> tuple[int, int, SongKey, int]:
    arena_id = song.arena_id if song.arena_id is not None else -1
    return _source_priority(song), _rank_or_last(song), song_key(song), arena_id


def merge_songs(songs: Iterable[NamedSong]) -> list[NamedSong]:
    """Merge rows of the same song (by song_key) and sort deterministically."""
    groups: defaultdict[SongKey, list[NamedSong]] = defaultdict(list)
    for song in songs:
        groups[song_key(song)].append(song)
    merged = [_merge(cluster) for group in groups.values() for cluster in _clusters(group)]
    return sorted(merged, key=_output_order)


# -------------------------------------------------------------------------------------- build


def build_named_songs(shared_dir: Path) -> list[NamedSong]:
    """All named songs from the shared data folder, merged and sorted."""
    monthly_rows = read_monthly_chart(shared_dir)
    chart_rows = read_chart(shared_dir)
    feelm = read_feelm(shared_dir)
    meta = read_song_meta(shared_dir)
    logger.info(
        "read %d monthly-chart songs, %d genre-chart rows, %d feelm rows, %d Arena songs",
        len(monthly_rows),
        len(chart_rows),
        len(feelm),
        len(meta),
    )
    with_lyrics = _with_keywords([*monthly_rows, *chart_rows])
    del monthly_rows, chart_rows  # the lyrics are not needed any more
    songs = merge_songs([*meta, *with_lyrics, *feelm])
    logger.info("%d named songs after merging", len(songs))
    return songs


def summarize(songs: Sequence[NamedSong]) -> dict[str, int]:
    """Counts for logs and reports: total, per source kind, with keywords/arena ids."""
    counts: dict[str, int] = {"total": len(songs)}
    for kind in SOURCE_PRIORITY:
        counts[kind] = sum(any(s.startswith(kind) for s in song.sources) for song in songs)
    counts["with_keywords"] = sum(bool(song.keywords) for song in songs)
    counts["with_arena_id"] = sum(song.arena_id is not None for song in songs)
    counts["with_melon_song_id"] = sum(song.melon_song_id is not None for song in songs)
    counts["charted"] = sum(bool(song.chart) for song in songs)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="data folder")
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl file")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    songs = build_named_songs(args.shared)
    write_jsonl(songs, args.out)
    print(f"wrote {len(songs)} songs to {args.out}: {summarize(songs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
