"""`mri eval served DIR`: what people would be shown for a folder of photos.

Every photo goes through the serving path (`Pipeline.recommend_photo_file`, as `mri recommend`
and the workers use it) and its top 10 is kept. Over all replies:

- variety: served slots, distinct songs, the most repeated song and in how many replies it is;
- links: how many songs open a Melon song page, an album page, or only a search;
- charted: the share of served songs that ever entered Melon's monthly Top-100 (matched to the
  chart by Melon song id, else by normalised title + first artist, `core.songkeys`);
- season agreement: for `snow__*` photos the share of their charted songs that chart mostly in
  Nov-Feb, for `beach__*` mostly in Jun-Aug; the base rate is that share among all chart songs,
  and lift = share / base rate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from core.domain import ScoredSong, Song
from core.songkeys import SongKey, key_of
from training.artists import split_artists
from training.melon_chart import BEACH_MONTHS, SNOW_MONTHS, ChartSong, mostly_in
from training.photo_eval import IMAGE_SUFFIXES

SEASONS: dict[str, tuple[str, frozenset[int]]] = {
    "snow": ("Nov-Feb", SNOW_MONTHS),
    "beach": ("Jun-Aug", BEACH_MONTHS),
}


class ChartLookup:
    """Chart songs by Melon id and by (title, first artist) key."""

    def __init__(self, songs: Iterable[ChartSong]) -> None:
        self.songs = list(songs)
        self.by_id = {s.song_id: s for s in self.songs if s.song_id is not None}
        self.by_key: dict[SongKey, ChartSong] = {}
        for s in sorted(self.songs, key=lambda s: -s.months):  # the longest-charting version
            self.by_key.setdefault(key_of(s.title, split_artists(s.artist)), s)

    def find(self, song: Song) -> ChartSong | None:
        if song.melon_song_id is not None and song.melon_song_id in self.by_id:
            return self.by_id[song.melon_song_id]
        if not song.title or not song.artists:
            return None
        return self.by_key.get(key_of(song.title, song.artists))

    def base_rate(self, months: frozenset[int]) -> float:
        charted = [s for s in self.songs if s.entries]
        return sum(mostly_in(s.entries, months) for s in charted) / max(len(charted), 1)


def link_kind(scored: ScoredSong) -> str:
    url = scored.melon_url or ""
    if "/song/detail.htm" in url:
        return "song"
    if "/album/detail.htm" in url:
        return "album"
    return "search"


@dataclass(frozen=True)
class Reply:
    photo: str
    scene: str
    songs: tuple[ScoredSong, ...]


def serve_folder(
    folder: Path, recommend: Callable[[Path], Sequence[ScoredSong]], top: int = 10
) -> list[Reply]:
    """The served top-`top` for every image in `folder` (scene = the name before '__')."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    replies = []
    for path in tqdm(files, desc="serve photos", unit="photo"):
        scene = path.name.split("__", 1)[0] if "__" in path.name else ""
        replies.append(Reply(path.name, scene, tuple(recommend(path))[:top]))
    return replies


def _label(song: Song) -> str:
    return f"{song.title} – {', '.join(song.artists)}"


def summarise_served(replies: Sequence[Reply], chart: ChartLookup | None) -> dict[str, Any]:
    """The figures of the module docstring, as a JSON-ready dict."""
    slots = [s for r in replies for s in r.songs]
    in_replies = Counter(
        s.song.id for r in replies for s in {x.song.id: x for x in r.songs}.values()
    )
    names = {s.song.id: _label(s.song) for s in slots}
    top_id, top_count = in_replies.most_common(1)[0] if in_replies else ("", 0)
    links = Counter(link_kind(s) for s in slots)
    out: dict[str, Any] = {
        "photos": len(replies),
        "slots": len(slots),
        "distinct": len(in_replies),
        "distinct_share": round(len(in_replies) / max(len(slots), 1), 4),
        "most_repeated": {"song": names.get(top_id, ""), "replies": top_count},
        "repeated_over_4": sum(1 for c in in_replies.values() if c > 4),
        "links": {k: round(links[k] / max(len(slots), 1), 4) for k in ("song", "album", "search")},
    }
    if chart is None:
        return out
    found = [chart.find(s.song) for s in slots]
    out["charted_share"] = round(sum(f is not None for f in found) / max(len(slots), 1), 4)
    seasons: dict[str, Any] = {}
    for scene, (label, months) in SEASONS.items():
        entries = [
            hit.entries
            for r in replies
            if r.scene == scene
            for s in r.songs
            if (hit := chart.find(s.song)) is not None and hit.entries
        ]
        base = chart.base_rate(months)
        share = sum(mostly_in(e, months) for e in entries) / len(entries) if entries else 0.0
        seasons[scene] = {
            "months": label,
            "photos": sum(r.scene == scene for r in replies),
            "charted_songs": len(entries),
            "share": round(share, 4),
            "base_rate": round(base, 4),
            "lift": round(share / base, 2) if base else 0.0,
        }
    out["seasons"] = seasons
    return out


def format_served(summary: dict[str, Any]) -> str:
    """A short table for the terminal and for benchmarks/results."""
    links = summary["links"]
    rows = [
        ("photos", str(summary["photos"])),
        ("served slots", str(summary["slots"])),
        ("distinct songs", f"{summary['distinct']} ({summary['distinct_share']:.0%} of slots)"),
        (
            "most repeated",
            f"{summary['most_repeated']['song']} ({summary['most_repeated']['replies']} replies)",
        ),
        ("songs in more than 4 replies", str(summary["repeated_over_4"])),
        (
            "links: song page / album / search",
            f"{links['song']:.0%} / {links['album']:.0%} / {links['search']:.0%}",
        ),
    ]
    if "charted_share" in summary:
        rows.append(("charted (monthly Top-100)", f"{summary['charted_share']:.0%}"))
        for scene, s in summary["seasons"].items():
            rows.append(
                (
                    f"{scene} photos: charted songs mostly {s['months']}",
                    f"{s['share']:.0%} of {s['charted_songs']} vs base {s['base_rate']:.0%}"
                    f" → lift {s['lift']:.2f}×",
                )
            )
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
