from __future__ import annotations

from core.domain import Song
from core.links import melon_search_url, melon_url


def test_song_page_beats_album_page() -> None:
    song = Song(
        id="x", title="Ditto", artists=("NewJeans",), album_id=11127145, melon_song_id=35945927
    )
    assert melon_url(song) == "https://www.melon.com/song/detail.htm?songId=35945927"


def test_album_page_when_only_the_album_is_known() -> None:
    song = Song(id="x", title="밤편지", artists=("아이유",), album_id=10079486)
    assert melon_url(song) == "https://www.melon.com/album/detail.htm?albumId=10079486"


def test_search_link_always_exists_and_is_encoded() -> None:
    song = Song(id="x", title="비 오는 날 & 너", artists=("가수 A", "가수 B"))
    assert melon_url(song) is None
    assert melon_search_url(song) == (
        "https://www.melon.com/search/total/index.htm?q="
        "%EB%B9%84%20%EC%98%A4%EB%8A%94%20%EB%82%A0%20%26%20%EB%84%88%20%EA%B0%80%EC%88%98%20A"
    )
