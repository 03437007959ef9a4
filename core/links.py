"""Melon links for a song: album page, song page, and always a search link."""

from __future__ import annotations

from urllib.parse import quote

from core.domain import Song

MELON = "https://www.melon.com"


def melon_url(song: Song) -> str | None:
    """The most specific Melon page we can link: the song page, else the album page."""
    if song.melon_song_id is not None:
        return f"{MELON}/song/detail.htm?songId={song.melon_song_id}"
    if song.album_id is not None:
        return f"{MELON}/album/detail.htm?albumId={song.album_id}"
    return None


def melon_search_url(song: Song) -> str:
    """A Melon search for 'title artist' (URL-encoded); works for every named song."""
    query = " ".join(p for p in (song.title or "", song.artists[0] if song.artists else "") if p)
    return f"{MELON}/search/total/index.htm?q={quote(query, safe='')}"
