"""Text queries ("비 오는 날 카페") -> weighted catalog tags.

1. Word n-grams matched directly against the vocabulary (비오는날, 새벽감성, 신나는 ...).
2. Every word through kiwipiepy: nouns, noun compounds (겨울 + 밤 -> 겨울밤), and
   adjective/verb stems in the adnominal form tags use (잔잔하다 -> 잔잔한, 신나다 -> 신나는).
3. Words still unmatched are matched to a shown tag by multilingual-e5 when the match is clear.
Any catalog tag may drive the query (an artist name too); only shown tags are displayed.
Kiwi costs ~500 MB, so it is loaded on the first text query, once per process.
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from functools import cached_property
from typing import Any

import numpy as np

from core.catalog import Catalog
from core.domain import TagWeight
from core.textembed import embed_queries
from core.textnorm import tag_key

_WORD = re.compile(r"[^\s,.!?~·/#]+")
_NOUNS = {"NNG", "NNP", "SL", "XR"}
_STOP = {"노래", "음악", "곡", "때", "것", "거", "추천", "좋은", "듣기", "플레이리스트", "느낌"}
MAX_WORD = 32  # characters; longer leftovers are not matched semantically


class TextTagger:
    """Turns free text into catalog tags with weights (direct matches weigh most)."""

    name = "text"
    version = "kiwi-e5-1"

    def __init__(self, catalog: Catalog, *, e5_min_similarity: float = 0.86) -> None:
        self.catalog = catalog
        self.e5_min_similarity = e5_min_similarity
        self._lock = threading.Lock()

    @cached_property
    def _kiwi(self) -> Any:
        from kiwipiepy import Kiwi  # ~500 MB: only where text queries are served

        return Kiwi()

    def _known(self, key: str) -> int | None:
        return self.catalog.tag_index.get(key) if key and key not in _STOP else None

    def tag_text(self, text: str, max_tags: int = 12) -> list[TagWeight]:
        words = _WORD.findall(unicodedata.normalize("NFC", text))[:64]
        found: dict[int, float] = {}
        self._match_ngrams(words, found)
        leftovers = self._match_morphemes(" ".join(words), found) if words else []
        self._match_e5(leftovers, found)
        ranked = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:max_tags]
        return [TagWeight(self.catalog.tag_keys[i], w) for i, w in ranked]

    def _match_ngrams(self, words: list[str], found: dict[int, float]) -> None:
        """Exact vocabulary hits for word n-grams (n <= 3)."""
        for n in (3, 2, 1):
            for s in range(len(words) - n + 1):
                i = self._known(tag_key("".join(words[s : s + n])))
                if i is not None:
                    found[i] = 1.0

    def _candidates(self, tokens: list[Any]) -> list[tuple[str, str]]:
        """(surface, candidate tag) pairs from morphemes, compounds first."""
        out: list[tuple[str, str]] = []
        for a, b in itertools.pairwise(tokens):
            if a.tag in _NOUNS and b.tag in _NOUNS and a.end == b.start:
                out.append((a.form + b.form, a.form + b.form))
        for k, t in enumerate(tokens):
            nxt = tokens[k + 1] if k + 1 < len(tokens) else None
            if t.tag in ("NNG", "NNP", "SL"):
                out.append((t.form, t.form))
            elif t.tag == "XR":
                out += [(t.form, t.form + "한"), (t.form, t.form)]
            elif t.tag.startswith("VA") or (t.tag.startswith("VV") and nxt and nxt.tag == "ETM"):
                ending = "는" if t.tag.startswith("VV") else "ᆫ"
                with self._lock:
                    form = self._kiwi.join([(t.form, t.tag.split("-")[0]), (ending, "ETM")])
                out.append((t.form, form))
        return out

    def _match_morphemes(self, text: str, found: dict[int, float]) -> list[str]:
        with self._lock:
            tokens = self._kiwi.tokenize(text)
        leftovers = []
        for surface, candidate in self._candidates(tokens):
            i = self._known(tag_key(candidate))
            if i is not None:
                found.setdefault(i, 0.9)
            elif (
                len(surface) > 1
                and surface not in _STOP
                and tag_key(surface) not in self.catalog.tag_index
            ):
                leftovers.append(surface)
        return list(dict.fromkeys(leftovers))

    def _match_e5(self, words: list[str], found: dict[int, float]) -> None:
        # No tag is longer than 16 characters: a 500-character "word" is noise, and costly to embed.
        words = [w for w in words if len(w) <= MAX_WORD]
        if not words or len(self.catalog.shown) == 0:
            return
        sims = embed_queries(words[:8]) @ self.catalog.tag_text.T
        for row in sims:
            k = int(np.argmax(row))
            if row[k] >= self.e5_min_similarity:
                found.setdefault(int(self.catalog.shown[k]), round(0.6 * float(row[k]), 4))
