"""Keywords of song lyrics: nouns and adjectives weighted by tf-idf across the lyrics given.

Lyrics are copyrighted: they are analysed here at build time, in memory, and never written,
shipped or logged; only the resulting keywords (single words, weights in (0, 1]) are kept.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tqdm import tqdm

from core.textnorm import tag_key
from training.songs_io import Keyword

if TYPE_CHECKING:
    from kiwipiepy import Kiwi, Token


TOP_KEYWORDS = 10
MAX_KEYWORD_CHARS = 12  # keywords are single words; nothing longer may come from a lyric
NOUN_TAGS = frozenset({"NNG", "NNP"})
# One-character nouns are dropped except these, which carry an image or mood on their own.
# 눈 is far more often 'eyes' than 'snow' in lyrics (눈을 감아, 눈빛): it counts as snow only
# in a lyric that also speaks of winter.
SNOW = "눈"
WINTER_WORDS = frozenset(
    {"겨울", "첫눈", "눈사람", "눈송이", "눈꽃", "함박눈", "크리스마스", "하얀"}
)
ONE_CHAR_NOUNS = frozenset(
    {"비", "눈", "밤", "봄", "꿈", "별", "달", "숲", "길", "빛", "꽃", "섬", "강", "산", "새"}
    | {"술", "춤", "잠", "맘", "물", "불", "집", "돈"}
)
NOUN_STOPWORDS = frozenset(
    {"것", "수", "거", "나", "너", "우리", "때", "말", "등", "내", "네", "제", "저", "그", "이"}
    | {"안", "속", "번", "게", "데", "줄", "듯", "뿐", "중", "적", "걸", "건", "뭐", "누구", "자신"}
    | {"그대", "당신", "난", "넌", "날", "널", "예", "오", "아"}
    # adverb-like nouns and lyric-sheet markers (간주 = instrumental break)
    | {"이제", "그때", "조금", "만약", "이상", "정도", "대신", "하나", "모두", "간주"}
)
# Adjective stems that say nothing about a song (있다/없다/같다/그렇다 ...).
ADJECTIVE_STOPWORDS = frozenset({"있", "없", "같", "그렇", "이렇", "저렇", "어떻", "아무렇", "많"})


@functools.cache
def _kiwi() -> Kiwi:
    """The one Kiwi analyser of this process (~500 MB, loaded on first use)."""
    from kiwipiepy import Kiwi

    return Kiwi(num_workers=-1)


@functools.cache
def _adnominal(stem: str, tag: str) -> str:
    """Adjective stem -> the adnominal form tags use (슬프 -> 슬픈, 따뜻 (XR) -> 따뜻한)."""
    ending = ("는" if stem.endswith(("있", "없")) else "은", "ETM")
    morphs = [(stem, tag), ("하", "XSA"), ending] if tag == "XR" else [(stem, tag), ending]
    return str(_kiwi().join(morphs))


def lyric_terms(tokens: Sequence[Token]) -> list[str]:
    """Nouns and adjectives (as adnominal forms) of one analysed lyric, normalised with tag_key."""
    terms: list[str] = []
    for index, token in enumerate(tokens):
        form, tag = token.form, token.tag
        if tag in NOUN_TAGS:
            keep = form not in NOUN_STOPWORDS and (len(form) > 1 or form in ONE_CHAR_NOUNS)
            term = form if keep else ""
        elif tag.startswith("VA") and form not in ADJECTIVE_STOPWORDS:
            term = _adnominal(form, tag.split("-")[0])
        elif tag == "XR" and _followed_by_ha(tokens, index):
            term = _adnominal(form, tag)
        else:
            term = ""
        key = tag_key(term)
        if key and len(key) <= MAX_KEYWORD_CHARS:
            terms.append(key)
    if SNOW in terms and WINTER_WORDS.isdisjoint(terms):
        terms = [t for t in terms if t != SNOW]
    return terms


def _followed_by_ha(tokens: Sequence[Token], index: int) -> bool:
    nxt = tokens[index + 1] if index + 1 < len(tokens) else None
    return nxt is not None and nxt.tag == "XSA" and nxt.form == "하"


def tfidf_keywords(
    docs: Sequence[Sequence[str]], top: int = TOP_KEYWORDS
) -> list[tuple[Keyword, ...]]:
    """Top terms per document by sublinear tf x smoothed idf, scaled so the best is 1.0."""
    df = Counter(term for doc in docs for term in set(doc))
    n_docs = len(docs)
    result: list[tuple[Keyword, ...]] = []
    for doc in docs:
        scores = {
            term: (1.0 + math.log(count)) * (math.log((1 + n_docs) / (1 + df[term])) + 1.0)
            for term, count in Counter(doc).items()
        }
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        peak = best[0][1] if best else 1.0
        result.append(tuple((term, max(round(s / peak, 4), 0.0001)) for term, s in best))
    return result


def lyric_keywords(lyrics: Sequence[str]) -> list[tuple[Keyword, ...]]:
    """Keywords for each lyric (tf-idf across the lyrics given). Lyrics are never logged."""
    kiwi = _kiwi()
    analysed = tqdm(
        kiwi.tokenize(lyrics), total=len(lyrics), desc="lyrics", unit="song", disable=None
    )
    return tfidf_keywords([lyric_terms(tokens) for tokens in analysed])
