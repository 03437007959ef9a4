"""What people write to steer a reply: "+바다 -노을" (add and drop tags), "더 신나게" and
"더 잔잔하게" (and English: livelier, calmer, more upbeat, chill …). Plain text, no model: the
chat adapters' processes parse it without loading the catalog."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# "더 신나게" / "더 잔잔하게" and their English forms; +1 livelier, -1 calmer.
_UP = re.compile(
    r"(더\s*)?(신나게|신나는|빠르게|밝게|경쾌하게)|livelier|more\s+(upbeat|energ\w*|lively)|upbeat|faster",
    re.I,
)
_DOWN = re.compile(
    r"(더\s*)?(잔잔하게|잔잔한|차분하게|조용하게|느리게|편안하게)|calmer|more\s+(calm|chill\w*|relax\w*|mellow)|chill|slower",
    re.I,
)
_EDIT = re.compile(r"([+\-−])\s*#?([^\s+\-−#,]+)")


@dataclass(frozen=True)
class Steer:
    """What a person asked for in a reply to the bot's message."""

    drop: tuple[str, ...] = ()
    add: tuple[str, ...] = ()
    energy: int = 0  # +1 livelier, -1 calmer

    @property
    def empty(self) -> bool:
        return not (self.drop or self.add or self.energy)


def parse_steer(text: str) -> Steer:
    """'+바다 -노을', '더 신나게', 'calmer' … -> Steer (empty when it asks for none of these)."""
    text = unicodedata.normalize("NFC", text)
    drop: list[str] = []
    add: list[str] = []
    for sign, word in _EDIT.findall(text):
        (add if sign == "+" else drop).append(word)
    rest = _EDIT.sub(" ", text)
    up, down = bool(_UP.search(rest)), bool(_DOWN.search(rest))
    energy = 1 if up and not down else -1 if down and not up else 0
    return Steer(tuple(drop), tuple(add), energy)
