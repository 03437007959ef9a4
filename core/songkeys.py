"""Which rows are one song: the normalised (title, first artist) key.

Sources spell one song many ways: '벚꽃 엔딩' / '벚꽃엔딩', '화이트' / '화이트 (White)',
'비가 내렸어 (Vocal by 스티브언니)', '겨울이야기 (Radio Version)', 'Lie - Remastered 2011',
'에일리(Ailee)' / '에일리'. The key drops what is not the song itself: featured and vocal
credits, version notes (remaster, live, instrumental, remix, radio edit ...), translations and
aliases in brackets, spaces and punctuation. Every version of one song by one artist then shares
one key: `mri catalog build` keeps one entry per key, and the recommender never shows two songs
with the same key in one list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

SongKey = tuple[str, str]

# '(Feat. X)', '[With X]', '(Vocal by X)', '(Duet With X)', '(Prod. by X)' anywhere, and a bare
# trailing 'Feat. X' / 'ft. X'.
_CREDIT = re.compile(
    r"\s*[(\[]\s*(?:feat\b|ft\.|with\b|duet\b|vocal\s+by\b|prod\b|sung\s+by\b)[^)\]]*[)\]]"
    r"|\s+(?:feat\.?|ft\.)\s.*$",
    re.IGNORECASE,
)
# Any bracketed part: versions ('(Inst.)', '(Live)', '(Remastered 2011)', '(Radio Ver.)'),
# translations ('(White)', '(哀愁)') and the like; and ' - Remastered 2011' style suffixes.
_BRACKETED = re.compile(r"\s*[(\[【<][^)\]】>]*[)\]】>]")
_DASH_VERSION = re.compile(
    r"\s+-\s+.*\b(?:remaster(?:ed)?|live|version|ver\.?|mix|edit|inst(?:rumental)?\.?|mono|stereo)\b.*$",
    re.IGNORECASE,
)
# a trailing alias of an artist: "백예린 (Yerin Baek)", "에일리(AILEE)", "AKMU (악뮤)"
_ARTIST_ALIAS = re.compile(r"\s*\([^()]*\)\s*$")
_NOT_WORD = re.compile(r"[\W_]+")
# Titles that name a kind of track rather than a song: their brackets tell songs apart
# ('Intro (Stand Up)' and 'INTRO (ALIVE)' are different tracks).
GENERIC_TITLES = frozenset(
    {"intro", "outro", "interlude", "skit", "prologue", "epilogue", "inst", "instrumental"}
)


def _squash(text: str) -> str:
    """NFKC, casefold, letters and digits only (any script): '벚꽃 엔딩!' -> '벚꽃엔딩'."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def title_key(title: str) -> str:
    """The part of a title that names the song: credits, versions and bracketed notes gone."""
    text = unicodedata.normalize("NFC", title)
    uncredited = _CREDIT.sub("", text)
    key = _squash(_DASH_VERSION.sub("", _BRACKETED.sub("", uncredited)))
    if not key or key in GENERIC_TITLES:
        key = _squash(uncredited) or _squash(text)
    return key


def artist_key(artist: str) -> str:
    """One artist's key: a trailing '(alias)' dropped, spacing and case ignored."""
    text = unicodedata.normalize("NFC", artist)
    return _squash(_ARTIST_ALIAS.sub("", text)) or _squash(text)


def key_of(title: str, artists: Sequence[str]) -> SongKey:
    """(title_key, first artist's key)."""
    return title_key(title), artist_key(artists[0]) if artists else ""
