"""Artist credits as the song lists write them, split into artists."""

from __future__ import annotations

import unicodedata

ARTIST_SEPARATORS = frozenset("/,&")
# Names that contain a separator but are one artist (casefolded). Those met in the shared data
# are 4th & Orange, Klara & Jag, 24/7, W&Whale, GD&TOP and SUPER JUNIOR-D&E; the rest are
# well-known cases of the same kind.
ONE_ARTIST_NAMES = frozenset(
    {"4th & orange", "klara & jag", "ac/dc", "15&", "earth, wind & fire", "simon & garfunkel"}
    | {"24/7", "w&whale", "gd&top", "super junior-d&e"}
)


def split_artists(raw: str) -> tuple[str, ...]:
    """'주현미/서현 (SEOHYUN)' -> ('주현미', '서현 (SEOHYUN)'); separators inside (...) stay."""
    text = unicodedata.normalize("NFC", raw)
    parts: list[str] = []
    start = depth = pos = 0
    while pos < len(text):
        if pos == start and (name := _one_artist_name_at(text, pos)):
            pos += name
            continue
        char = text[pos]
        depth += (char in "([") - (char in ")]")
        if depth <= 0 and char in ARTIST_SEPARATORS:
            parts.append(text[start:pos])
            start = pos + 1
            depth = 0
        pos += 1
    parts.append(text[start:])
    return tuple(name for name in (" ".join(p.split()) for p in parts) if name)


def _one_artist_name_at(text: str, pos: int) -> int:
    """Length (from pos, leading spaces included) of a ONE_ARTIST_NAMES entry starting there."""
    offset = len(text[pos:]) - len(text[pos:].lstrip())
    rest = text[pos + offset :].casefold()
    for name in ONE_ARTIST_NAMES:
        tail = rest[len(name) :].lstrip()
        if rest.startswith(name) and (not tail or tail[0] in ARTIST_SEPARATORS):
            return offset + len(name)
    return 0
