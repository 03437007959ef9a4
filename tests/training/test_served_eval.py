"""`mri eval served`: variety, links, charted share and season agreement, counted by hand."""

from __future__ import annotations

import pytest

from core.domain import ScoredSong, Song
from training.melon_chart import ChartEntry, ChartSong
from training.served_eval import ChartLookup, Reply, format_served, link_kind, summarise_served


def _chart(song_id: int | None, title: str, artist: str, months: list[int]) -> ChartSong:
    entries = tuple(ChartEntry(2010 + i // 12, m, 10) for i, m in enumerate(months))
    return ChartSong(song_id, title, artist, None, None, (), entries)


CHART = ChartLookup(
    [
        _chart(1, "첫눈", "가수A", [12, 1, 2]),  # winter
        _chart(2, "바다", "가수B", [7, 8]),  # summer
        _chart(None, "봄봄", "가수C", [3, 4, 5, 6]),  # no id: found by title + artist
        _chart(4, "사계절", "가수D", [3, 6, 9, 12]),  # no season
    ]
)


def _scored(
    title: str, artist: str, *, melon: int | None = None, album: int | None = None
) -> ScoredSong:
    song = Song(
        id=f"x:{title}", title=title, artists=(artist,), melon_song_id=melon, album_id=album
    )
    url = (
        f"https://www.melon.com/song/detail.htm?songId={melon}"
        if melon
        else (f"https://www.melon.com/album/detail.htm?albumId={album}" if album else None)
    )
    return ScoredSong(song, 1.0, (), url, "https://www.melon.com/search/total/index.htm?q=x")


def test_figures_match_a_hand_count() -> None:
    snow_a = Reply("snow__a.jpg", "snow", (_scored("첫눈", "가수A", melon=1), _scored("x", "y")))
    snow_b = Reply(
        "snow__b.jpg",
        "snow",
        (_scored("첫눈", "가수A", melon=1), _scored("사계절", "가수D", melon=4)),
    )
    beach = Reply(
        "beach__c.jpg",
        "beach",
        (_scored("바다", "가수B", melon=2), _scored("봄봄 (Remix)", "가수C")),
    )
    other = Reply("cafe.jpg", "", (_scored("커피", "가수E", album=9),))
    s = summarise_served([snow_a, snow_b, beach, other], CHART)
    assert (s["photos"], s["slots"], s["distinct"]) == (4, 7, 6)
    assert s["most_repeated"] == {"song": "첫눈 – 가수A", "replies": 2}
    assert s["links"] == pytest.approx({"song": 4 / 7, "album": 1 / 7, "search": 2 / 7}, abs=1e-4)
    assert s["charted_share"] == pytest.approx(5 / 7, abs=1e-4)  # 봄봄 (Remix) by its key
    snow, summer = s["seasons"]["snow"], s["seasons"]["beach"]
    assert (snow["charted_songs"], snow["share"]) == (3, pytest.approx(2 / 3, abs=1e-4))
    assert snow["base_rate"] == pytest.approx(1 / 4)  # 첫눈 of the four chart songs
    assert snow["lift"] == pytest.approx((2 / 3) / (1 / 4), abs=0.01)
    assert (summer["charted_songs"], summer["share"]) == (2, pytest.approx(0.5))
    assert summer["base_rate"] == pytest.approx(1 / 4)  # 바다 only; 봄봄 is half summer
    text = format_served(s)
    assert "첫눈 – 가수A (2 replies)" in text and "lift 2.67×" in text


def test_without_a_chart_only_variety_and_links() -> None:
    s = summarise_served([Reply("a.jpg", "", (_scored("x", "y"),))], None)
    assert "charted_share" not in s and s["links"]["search"] == 1.0
    assert "charted" not in format_served(s)


def test_link_kinds() -> None:
    assert link_kind(_scored("a", "b", melon=3)) == "song"
    assert link_kind(_scored("a", "b", album=3)) == "album"
    assert link_kind(_scored("a", "b")) == "search"
