"""Turn the shared raw song lists into named songs (docs/named-songs.md), written as JSON Lines.

Sources (see shared/data/SOURCES.md for provenance and licences):

* Melon genre charts (`korean_melon_genre_chart_lyrics/*.csv`): title, singer, chart position and
  a genre tag per file. Their `Lyric` column is copyrighted: it is only *analysed* here (nouns and
  adjectives weighted by tf-idf become `keywords`) and never written or logged.
* feelm emotion lists (`feelm_emotion_songs/*_music_list.csv`): emotion -> mood tags.
* Arena song metadata (`melon_song_meta/song_meta_subset.json`): Arena ids, albums, genre codes.

Rows for the same song are merged by a normalised (title, first artist) key.

    python -m training.named_songs --shared ../shared/data --out named_songs.jsonl
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import logging
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from tqdm import tqdm

from core.textnorm import tag_key
from training.songs_io import Keyword, NamedSong, song_from_mapping, write_jsonl

if TYPE_CHECKING:
    from kiwipiepy import Kiwi, Token

__all__ = ["NamedSong", "build_named_songs", "split_artists", "write_jsonl"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

CHART_DIR = "korean_melon_genre_chart_lyrics"
FEELM_DIR = "feelm_emotion_songs"
SONG_META_FILE = Path("melon_song_meta") / "song_meta_subset.json"
GENRE_NAMES_FILE = Path("melon_kakao_arena_subset") / "genre_gn_all.json"

SOURCE_META = "arena_song_meta"
SOURCE_CHART = "melon_genre_chart"
SOURCE_FEELM = "feelm"
# Earlier wins for scalar fields (ids, album, display title/artists) and comes first in the output.
SOURCE_PRIORITY = (SOURCE_META, SOURCE_CHART, SOURCE_FEELM)

# chart file stem -> genre tags
CHART_GENRES: dict[str, tuple[str, ...]] = {
    "ballad": ("발라드",),
    "dance": ("댄스",),
    "RB": ("알앤비",),
    "raphip": ("힙합", "랩"),
    "indi": ("인디",),
    "rock": ("락",),
    "fork": ("포크",),
    "tro": ("트로트",),
}

# feelm list name (file `<name>_music_list.csv`) -> mood tags. `sed` is feelm's spelling of "sad".
# joy and surprised are left out on purpose: SOURCES.md notes the two files are byte-identical
# placeholders (the same Western songs), so they say nothing about either emotion.
FEELM_MOODS: dict[str, tuple[str, ...]] = {
    "anger": ("스트레스", "분노"),
    "depressed": ("우울", "위로"),
    "happiness": ("행복", "기분전환", "신나는"),
    "happiness2": ("행복", "기분전환", "신나는"),
    "love": ("사랑", "설렘"),
    "sed": ("슬픔", "이별"),
}
FEELM_SKIPPED = frozenset({"joy", "surprised"})

# Arena top-level genre code -> genre tag (names in genre_gn_all.json; GN2300 종교음악 and
# GN2900 뮤지컬 have no tag on purpose).
GENRE_CODE_TAGS: dict[str, str] = {
    "GN0100": "발라드",
    "GN0200": "댄스",
    "GN0300": "힙합",
    "GN0400": "알앤비",
    "GN0500": "인디",
    "GN0600": "락",
    "GN0700": "트로트",
    "GN0800": "포크",
    "GN0900": "팝",
    "GN1000": "락",
    "GN1100": "일렉",
    "GN1200": "힙합",
    "GN1300": "알앤비",
    "GN1400": "포크",
    "GN1500": "ost",
    "GN1600": "클래식",
    "GN1700": "재즈",
    "GN1800": "뉴에이지",
    "GN1900": "jpop",
    "GN2000": "월드뮤직",
    "GN2100": "ccm",
    "GN2200": "동요",
    "GN2400": "국악",
    "GN2500": "아이돌",
    "GN2600": "일렉",
    "GN2700": "edm",
    "GN2800": "힐링",
    "GN3000": "크리스마스",
}

# ------------------------------------------------------------------------------------ artists

ARTIST_SEPARATORS = frozenset("/,&")
# Names that contain a separator but are one artist (casefolded). Those met in the shared data
# are 4th & Orange and Klara & Jag; the rest are well-known cases of the same kind.
ONE_ARTIST_NAMES = frozenset(
    {"4th & orange", "klara & jag", "ac/dc", "15&", "earth, wind & fire", "simon & garfunkel"}
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


# ---------------------------------------------------------------------------------- song keys

_FEATURING = re.compile(r"\s*[(\[]\s*(?:feat\b|ft\.|with\b)[^)\]]*[)\]]", re.IGNORECASE)
# a trailing alias of an artist: "백예린 (Yerin Baek)", "에일리(AILEE)", "AKMU (악뮤)"
_ARTIST_ALIAS = re.compile(r"\s*\([^()]*\)\s*$")

SongKey = tuple[str, str]


def _key_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def song_key(song: NamedSong) -> SongKey:
    """Dedupe key: NFC + casefold title without '(Feat. …)'/'(With …)', and first artist.

    The artist key drops a trailing '(alias)': sources spell the same artist '백예린' and
    '백예린 (Yerin Baek)', or 'AKMU (악동뮤지션)' and 'AKMU (악뮤)'.
    """
    title = _FEATURING.sub("", unicodedata.normalize("NFC", song.title))
    artist = unicodedata.normalize("NFC", song.artists[0])
    return _key_text(title), _key_text(_ARTIST_ALIAS.sub("", artist) or artist)


# ------------------------------------------------------------------------------------ sources


class ChartRow(NamedTuple):
    song: NamedSong
    lyric: str  # analysed only; never written or logged


def _read_csv_rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing columns {missing} (has {reader.fieldnames})")
        return [{c: (row.get(c) or "").strip() for c in columns} for row in reader]


def _listed_song(
    title: str, singer: str, rank: int, source: str, **tags: Sequence[str]
) -> NamedSong | None:
    artists = split_artists(singer)
    if not title or not artists:
        return None
    record: dict[str, object] = {"title": title, "artists": list(artists), "rank": rank}
    record |= {"sources": [source]} | {name: list(values) for name, values in tags.items()}
    return song_from_mapping(record)


def read_chart(shared_dir: Path) -> list[ChartRow]:
    """Genre-chart rows (rank = row position in its chart), lyric kept in memory for analysis."""
    rows: list[ChartRow] = []
    for stem, genres in CHART_GENRES.items():
        path = shared_dir / CHART_DIR / f"{stem}.csv"
        if not path.is_file():
            logger.warning("genre chart %s is missing; skipped", path)
            continue
        for rank, row in enumerate(_read_csv_rows(path, ("Title", "Singer", "Lyric")), start=1):
            source = f"{SOURCE_CHART}:{stem}"
            song = _listed_song(row["Title"], row["Singer"], rank, source, genres=genres)
            if song is not None:
                rows.append(ChartRow(song, row["Lyric"]))
    return rows


def read_feelm(shared_dir: Path) -> list[NamedSong]:
    """feelm emotion lists (rank = row position in its list); joy/surprised are skipped."""
    folder = shared_dir / FEELM_DIR
    known = FEELM_MOODS.keys() | FEELM_SKIPPED
    for path in sorted(folder.glob("*_music_list.csv")):
        if path.name.removesuffix("_music_list.csv") not in known:
            logger.warning("feelm list %s has no mood mapping; skipped", path.name)
    songs: list[NamedSong] = []
    for name, moods in FEELM_MOODS.items():
        path = folder / f"{name}_music_list.csv"
        if not path.is_file():
            logger.warning("feelm list %s is missing; skipped", path)
            continue
        for rank, row in enumerate(_read_csv_rows(path, ("music", "singer")), start=1):
            source = f"{SOURCE_FEELM}:{name}"
            song = _listed_song(row["music"], row["singer"], rank, source, moods=moods)
            if song is not None:
                songs.append(song)
    return songs


def _load_json(path: Path) -> object:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _genre_names(path: Path) -> dict[str, str]:
    names = _load_json(path)
    if not isinstance(names, dict):
        raise ValueError(f"{path}: expected a code -> name object")
    unknown = sorted(set(GENRE_CODE_TAGS) - set(names))
    if unknown:
        logger.warning("genre codes %s are not in %s", unknown, GENRE_NAMES_FILE)
    return {str(code): str(name) for code, name in names.items()}


def _meta_genres(codes: object, names: dict[str, str], unmapped: Counter[str]) -> list[str]:
    tags: list[str] = []
    for code in codes if isinstance(codes, list) else []:
        if code in GENRE_CODE_TAGS:
            tags.append(GENRE_CODE_TAGS[code])
        else:
            unmapped[f"{code} {names.get(str(code), '(unknown code)')}"] += 1
    return tags


def read_song_meta(shared_dir: Path) -> list[NamedSong]:
    """The shared 351-id subset of Arena's song_meta.json."""
    return read_song_meta_file(shared_dir / SONG_META_FILE, shared_dir / GENRE_NAMES_FILE)


def read_song_meta_file(path: Path, genre_names: Path) -> list[NamedSong]:
    """Arena songs with a name and artists from any song_meta.json (the subset or the full
    release); genre codes mapped through GENRE_CODE_TAGS, names from genre_gn_all.json."""
    rows = _load_json(path)
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a JSON list of songs")
    names = _genre_names(genre_names)
    unmapped: Counter[str] = Counter()
    songs: list[NamedSong] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"{path}: item {index}: expected an object")
        artists = [a.strip() for a in row.get("artist_name_basket") or [] if a.strip()]
        title = (row.get("song_name") or "").strip()
        if not title or not artists:
            continue  # a song is only shown with a title and an artist
        record = {
            "title": title,
            "artists": artists,
            "arena_id": row.get("id"),
            "album_id": row.get("album_id"),
            "album": row.get("album_name"),
            "genres": _meta_genres(row.get("song_gn_gnr_basket"), names, unmapped),
            "sources": [SOURCE_META],
        }
        try:
            songs.append(song_from_mapping(record))
        except ValueError as exc:
            raise ValueError(f"{path}: item {index}: {exc}") from None
    if unmapped:
        logger.info("genre codes without a tag (dropped): %s", dict(unmapped))
    return songs


# ----------------------------------------------------------------------------------- keywords

TOP_KEYWORDS = 10
MAX_KEYWORD_CHARS = 12  # keywords are single words; nothing longer may come from a lyric
NOUN_TAGS = frozenset({"NNG", "NNP"})
# One-character nouns are dropped except these, which carry an image or mood on their own.
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


def _with_keywords(rows: Sequence[ChartRow]) -> list[NamedSong]:
    """Chart songs with keywords from the first non-empty lyric of each distinct song."""
    lyric_of: dict[SongKey, str] = {}
    for row in rows:
        if row.lyric.strip():
            lyric_of.setdefault(song_key(row.song), row.lyric)
    keys = list(lyric_of)
    keywords = dict(zip(keys, lyric_keywords([lyric_of[k] for k in keys]), strict=True))
    return [replace(row.song, keywords=keywords.get(song_key(row.song), ())) for row in rows]


# -------------------------------------------------------------------------------------- merge


def _source_priority(song: NamedSong) -> int:
    kinds = (source.partition(":")[0] for source in song.sources)
    ranks = [SOURCE_PRIORITY.index(k) for k in kinds if k in SOURCE_PRIORITY]
    return min(ranks, default=len(SOURCE_PRIORITY))


def _rank_or_last(song: NamedSong) -> int:
    return song.rank if song.rank is not None else sys.maxsize


def _clusters(group: list[NamedSong]) -> list[list[NamedSong]]:
    """Split a key group so that distinct Arena ids (other album versions) stay distinct."""
    ids = sorted({song.arena_id for song in group if song.arena_id is not None})
    if len(ids) <= 1:
        return [group]
    clusters = {arena_id: [s for s in group if s.arena_id == arena_id] for arena_id in ids}
    clusters[ids[0]].extend(s for s in group if s.arena_id is None)
    return list(clusters.values())


def _first(values: Iterable[T | None]) -> T | None:
    return next((v for v in values if v is not None), None)


def _merge(records: Sequence[NamedSong]) -> NamedSong:
    ordered = sorted(records, key=lambda s: (_source_priority(s), _rank_or_last(s)))
    weights: dict[str, float] = {}
    for song in ordered:
        for tag, weight in song.keywords:
            weights[tag] = max(weight, weights.get(tag, 0.0))
    keywords = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_KEYWORDS]
    ranks = [s.rank for s in ordered if s.rank is not None]
    return NamedSong(
        title=ordered[0].title,
        artists=ordered[0].artists,
        arena_id=_first(s.arena_id for s in ordered),
        album_id=_first(s.album_id for s in ordered),
        album=_first(s.album for s in ordered),
        melon_song_id=_first(s.melon_song_id for s in ordered),
        genres=tuple(dict.fromkeys(g for s in ordered for g in s.genres)),
        moods=tuple(dict.fromkeys(m for s in ordered for m in s.moods)),
        keywords=tuple(keywords),
        rank=min(ranks, default=None),
        sources=tuple(dict.fromkeys(src for s in ordered for src in s.sources)),
    )


def _output_order(song: NamedSong) -> tuple[int, int, SongKey, int]:
    arena_id = song.arena_id if song.arena_id is not None else -1
    return _source_priority(song), _rank_or_last(song), song_key(song), arena_id


def merge_songs(songs: Iterable[NamedSong]) -> list[NamedSong]:
    """Merge rows of the same song (by song_key) and sort deterministically."""
    groups: defaultdict[SongKey, list[NamedSong]] = defaultdict(list)
    for song in songs:
        groups[song_key(song)].append(song)
    merged = [_merge(cluster) for group in groups.values() for cluster in _clusters(group)]
    return sorted(merged, key=_output_order)


# -------------------------------------------------------------------------------------- build


def build_named_songs(shared_dir: Path) -> list[NamedSong]:
    """All named songs from the shared data folder, merged and sorted."""
    chart_rows = read_chart(shared_dir)
    feelm = read_feelm(shared_dir)
    meta = read_song_meta(shared_dir)
    logger.info(
        "read %d chart rows, %d feelm rows, %d Arena song_meta songs",
        len(chart_rows),
        len(feelm),
        len(meta),
    )
    chart = _with_keywords(chart_rows)
    del chart_rows  # the lyrics are not needed any more
    songs = merge_songs([*meta, *chart, *feelm])
    logger.info("%d named songs after merging", len(songs))
    return songs


def summarize(songs: Sequence[NamedSong]) -> dict[str, int]:
    """Counts for logs and reports: total, per source kind, with keywords/arena ids."""
    counts: dict[str, int] = {"total": len(songs)}
    for kind in SOURCE_PRIORITY:
        counts[kind] = sum(any(s.startswith(kind) for s in song.sources) for song in songs)
    counts["with_keywords"] = sum(bool(song.keywords) for song in songs)
    counts["with_arena_id"] = sum(song.arena_id is not None for song in songs)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="data folder")
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl file")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    songs = build_named_songs(args.shared)
    write_jsonl(songs, args.out)
    print(f"wrote {len(songs)} songs to {args.out}: {summarize(songs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
