"""Tag normalisation shared by catalog building, queries and display.

A tag key is NFC, without whitespace or a leading '#', with Latin letters lower-cased, and with
spelling/language variants folded onto one form (까페 -> 카페, rock -> 락, rnb -> 알앤비 ...).
The same function runs on training data and on queries, so variants pool their statistics.
"""

from __future__ import annotations

import re
import unicodedata

# variant -> canonical key. Only true variants of one concept (spelling, language, inflection);
# related-but-different tags (새벽/새벽감성, 팝/팝송) stay apart on purpose.
VARIANTS: dict[str, str] = {
    "록": "락",
    "rock": "락",
    "까페": "카페",
    "cafe": "카페",
    "café": "카페",
    "coffee": "커피",
    "pop": "팝",
    "rnb": "알앤비",
    "r&b": "알앤비",
    "알엔비": "알앤비",
    "hiphop": "힙합",
    "hip-hop": "힙합",
    "jazz": "재즈",
    "째즈": "재즈",
    "ballad": "발라드",
    "일렉트로닉": "일렉",
    "electronic": "일렉",
    "이디엠": "edm",
    "오에스티": "ost",
    "indie": "인디",
    "christmas": "크리스마스",
    "xmas": "크리스마스",
    "rainyday": "비오는날",
    "비오는날에": "비오는날",
    "drive": "드라이브",
    "summer": "여름",
    "winter": "겨울",
    "spring": "봄",
    "autumn": "가을",
    "night": "밤",
    "soul": "소울",
    "dance": "댄스",
    "trot": "트로트",
    "classic": "클래식",
    "신남": "신나는",
    "신나게": "신나는",
    "잔잔": "잔잔한",
    "잔잔함": "잔잔한",
    "감성적": "감성적인",
}

_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = re.compile(r"^[#\s.,!?~\-_/]+|[\s.,!?~\-_/]+$")


def tag_key(raw: str) -> str:
    """Return the canonical key of a tag ('' when nothing is left)."""
    text = unicodedata.normalize("NFC", raw).strip()
    text = _EDGE_PUNCT.sub("", text)
    text = _SPACE.sub("", text).lower()
    return VARIANTS.get(text, text)
