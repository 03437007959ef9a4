"""Named songs: building them from the shared raw lists, and reading/writing the file format."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import fields
from pathlib import Path

import pytest

from tests.shared_data import require_shared
from training.artists import split_artists
from training.melon_chart import iter_lyrics
from training.named_songs import build_named_songs, summarize
from training.song_sources import GENRE_CODE_TAGS
from training.songs_io import (
    NamedSong,
    NamedSongFormatError,
    read_named_songs,
    song_to_dict,
    write_jsonl,
)

# Lyrics invented for these tests (not from any song).
LYRIC_NIGHT = (
    "창밖에 슬픈 밤이 내리고\n따뜻한 불빛 아래 별을 세던 우리\n"
    "슬프다 말하던 너의 편지 한 장\n맛이 좋은 것도 모르고"
)
LYRIC_SPRING = "봄바람 부는 기찻길 위로\n하얀 꽃잎이 날리던 오후\n우리는 손을 잡고 노래했지"
LYRIC_SUMMER = "뜨거운 여름 바다로 가자\n파도 소리에 웃음이 번지면\n모래 위에 이름을 새기고"
LYRIC_WINTER = "첫눈이 오는 날 하얀 눈 위에\n너의 이름을 적어 두었지\n겨울이 가도 지워지지 않게"
LYRICS = (LYRIC_NIGHT, LYRIC_SPRING, LYRIC_SUMMER, LYRIC_WINTER)
LEAK_WINDOW = 20  # no output field may contain this many consecutive characters of a lyric

CHART_DIR = "korean_melon_genre_chart_lyrics"


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:  # with BOM, like the real files
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A tiny shared/data folder with the layout of the real one."""
    chart = ("Title", "Singer", "Lyric")
    _write_csv(
        tmp_path / CHART_DIR / "ballad.csv",
        chart,
        [
            ("밤하늘 (Feat. 가수C)", "가수A/가수B (GB)", LYRIC_NIGHT),
            ("봄날의 기차", "AC/DC", LYRIC_SPRING),
            ("빈 가사", "가수D", ""),
        ],
    )
    _write_csv(
        tmp_path / CHART_DIR / "raphip.csv",
        chart,
        [
            ("여름 바다", "처진 달팽이 (유재석 & 이적)", LYRIC_SUMMER),
            ("밤하늘", "가수A", LYRIC_NIGHT),
        ],
    )
    feelm = tmp_path / "feelm_emotion_songs"
    _write_csv(
        feelm / "love_music_list.csv",
        ("music", "singer"),
        [("Feel Good", "China Lane"), ("밤하늘 (Feat. 가수C)", "가수A")],
    )
    _write_csv(feelm / "sed_music_list.csv", ("music", "singer"), [("여름 바다", "처진 달팽이")])
    _write_csv(feelm / "joy_music_list.csv", ("music", "singer"), [("Joy Only", "Someone")])
    meta = [
        {
            "id": 101,
            "song_name": "밤하늘 (Feat. 가수C)",
            "artist_name_basket": ["가수A"],
            "album_id": 555,
            "album_name": "밤 앨범",
            "song_gn_gnr_basket": ["GN0100", "GN2300"],
        },
        {"id": 7, "song_name": "No Artist Song", "album_id": 3},
        {"id": 9, "song_name": "Twin", "artist_name_basket": ["Various Artists"], "album_id": 2},
        {"id": 8, "song_name": "Twin", "artist_name_basket": ["Various Artists"], "album_id": 1},
    ]
    _write_json(tmp_path / "melon_song_meta" / "song_meta_subset.json", meta)
    genre_names = dict.fromkeys(GENRE_CODE_TAGS, "이름") | {"GN2300": "종교음악"}
    _write_json(tmp_path / "melon_kakao_arena_subset" / "genre_gn_all.json", genre_names)
    monthly = [  # the monthly chart: 밤하늘 twice (two versions), and a song only charted
        {"song_id": "9001", "song_name": "밤하늘", "artist": "가수A", "album": "밤",
         "release_date": "2012.11.30", "genre": "발라드, 국내드라마",
         "lyrics": LYRIC_NIGHT.split("\n"),
         "chart": ["2012-12:3", "2013-01:5", "2013-12:20", "2014-12:30"]},
        {"song_id": "9002", "song_name": "밤하늘 (Radio Ver.)", "artist": "가수A", "album": "밤",
         "release_date": "2013.01.10", "genre": "발라드", "lyrics": [],
         "chart": ["2013-01:40"]},
        {"song_id": "9003", "song_name": "첫눈 오는 날", "artist": "가수E, 가수F",
         "album": None, "release_date": "1998.12.01", "genre": "댄스, 없는장르",
         "lyrics": LYRIC_WINTER.split("\n"), "chart": ["2000-01:7"]},
    ]  # fmt: skip
    path = tmp_path / "melon_monthly_chart" / "songs.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in monthly), "utf-8")
    return tmp_path


def _strings(song: NamedSong) -> Iterable[tuple[str, str]]:
    """(field, text) for every string the song would write."""
    yield "title", song.title
    yield from (("artists", a) for a in song.artists)
    if song.album:
        yield "album", song.album
    for field in ("genres", "moods", "sources"):
        yield from ((field, text) for text in getattr(song, field))
    yield from (("keywords", tag) for tag, _ in song.keywords)


def _lyric_leaks(
    songs: Sequence[NamedSong], lyrics: Iterable[str], raw_names: set[str]
) -> list[tuple[str, str]]:
    """(song title, field) of every field holding LEAK_WINDOW characters of some lyric.

    A title or album name exactly as its source lists it is metadata, not lyric text (some
    titles and albums quote their own lyrics), so it is not counted. Only titles/field names are
    returned, never lyric text.
    """
    corpus = "\x00".join(lyrics)
    leaks: list[tuple[str, str]] = []
    for song in songs:
        for field, text in _strings(song):
            if field in ("title", "album") and text in raw_names:
                continue
            windows = (text[i : i + LEAK_WINDOW] for i in range(len(text) - LEAK_WINDOW + 1))
            if any(window in corpus for window in windows):
                leaks.append((song.title, field))
    return leaks


# ----------------------------------------------------------------------------------- artists


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("주현미/서현 (SEOHYUN)", ("주현미", "서현 (SEOHYUN)")),
        ("San E/버벌진트/범키", ("San E", "버벌진트", "범키")),
        ("Michel Telo, Pitbull", ("Michel Telo", "Pitbull")),
        ("가수A & 가수B", ("가수A", "가수B")),
        (" 가수A  /  가수B ", ("가수A", "가수B")),
        ("처진 달팽이 (유재석 & 이적)", ("처진 달팽이 (유재석 & 이적)",)),
        ("솔라 (마마무)/문별 (마마무)", ("솔라 (마마무)", "문별 (마마무)")),
        ("AC/DC", ("AC/DC",)),
        ("Queen / AC/DC", ("Queen", "AC/DC")),
        ("AC/DC / Queen", ("AC/DC", "Queen")),
        ("4th & Orange", ("4th & Orange",)),
        ("10CM", ("10CM",)),
        ("", ()),
    ],
)
def test_split_artists(raw: str, expected: tuple[str, ...]) -> None:
    assert split_artists(raw) == expected


# ------------------------------------------------------------------------------ fixture build


def test_build_maps_merges_and_orders(shared: Path) -> None:
    songs = build_named_songs(shared)
    assert [s.title for s in songs] == [
        "밤하늘 (Feat. 가수C)",  # Arena song_meta first, then the monthly chart by best rank,
        "Twin",  # then the genre charts by rank, then feelm
        "Twin",
        "첫눈 오는 날",
        "여름 바다",
        "봄날의 기차",
        "빈 가사",
        "Feel Good",
    ]
    night, twin8, twin9, winter, summer, spring, empty, feel_good = songs
    assert night.artists == ("가수A",)  # song_meta's display fields win
    assert (night.arena_id, night.album_id, night.album) == (101, 555, "밤 앨범")
    assert night.melon_song_id == 9001  # the best-charting version's Melon id
    assert night.released == "2012-11-30"
    assert night.chart == ("2012-12:3", "2013-01:5", "2013-12:20", "2014-12:30")  # per month
    assert night.genres == ("발라드", "ost", "드라마", "힙합", "랩")  # GN2300 has no tag
    assert night.moods == ("사랑", "설렘")
    assert night.rank == 1
    assert night.sources == (
        "arena_song_meta",
        "melon_monthly_chart",
        "melon_genre_chart:ballad",
        "melon_genre_chart:raphip",
        "feelm:love",
    )
    assert (twin8.arena_id, twin8.album_id, twin9.arena_id) == (8, 1, 9)  # ids never merged
    assert winter.artists == ("가수E", "가수F") and winter.melon_song_id == 9003
    assert (winter.genres, winter.released, winter.rank) == (("댄스",), "1998-12-01", 7)
    assert summer.artists == ("처진 달팽이 (유재석 & 이적)",)
    assert (summer.genres, summer.moods, summer.rank) == (("힙합", "랩"), ("슬픔", "이별"), 1)
    assert spring.artists == ("AC/DC",)
    assert (spring.genres, spring.rank) == (("발라드",), 2)
    assert empty.keywords == () and empty.melon_song_id is None and empty.chart == ()
    assert (feel_good.moods, feel_good.rank, feel_good.genres) == (("사랑", "설렘"), 1, ())
    assert build_named_songs(shared) == songs  # deterministic


def test_keywords_from_lyrics(shared: Path) -> None:
    by_title = {song.title: song for song in build_named_songs(shared)}
    night = dict(by_title["밤하늘 (Feat. 가수C)"].keywords)
    assert {"슬픈", "따뜻한", "밤", "별", "편지"} <= night.keys()  # adjectives in adnominal form
    assert not {"맛", "것", "말", "우리", "너"} & night.keys()  # 1-char nouns and stop-words
    assert night["슬픈"] == 1.0  # said twice: the top keyword
    assert {"봄", "바람", "하얀"} <= dict(by_title["봄날의 기차"].keywords).keys()
    assert {"첫눈", "겨울"} <= dict(by_title["첫눈 오는 날"].keywords).keys()  # monthly lyrics
    for song in by_title.values():
        weights = [weight for _, weight in song.keywords]
        assert len(weights) <= 10
        assert all(0.0 < w <= 1.0 for w in weights)
        assert not weights or max(weights) == 1.0


def test_no_lyric_text_in_output(shared: Path, tmp_path: Path) -> None:
    songs = build_named_songs(shared)
    out = tmp_path / "out" / "named.jsonl"
    write_jsonl(songs, out)
    written = out.read_text(encoding="utf-8")
    lines = [line for lyric in LYRICS for line in lyric.splitlines()]
    assert not [line for line in lines if line in written]
    strings = [text for song in songs for _, text in _strings(song)]
    assert not [line for line in lines if any(line in text for text in strings)]
    assert _lyric_leaks(songs, LYRICS, set()) == []


def test_leak_check_finds_lyric_text() -> None:
    planted = NamedSong(title="x", artists=("y",), keywords=((LYRIC_SPRING[2:24], 1.0),))
    assert _lyric_leaks([planted], LYRICS, set()) == [("x", "keywords")]
    quoting = NamedSong(title=f"{LYRIC_NIGHT[:LEAK_WINDOW]} (Remix)", artists=("y",))
    assert _lyric_leaks([quoting], LYRICS, set()) == [(quoting.title, "title")]
    assert _lyric_leaks([quoting], LYRICS, {quoting.title}) == []  # a title as listed is metadata
    album = f"{LYRIC_NIGHT[:LEAK_WINDOW]} (1st Album)"
    on_album = NamedSong(title="z", artists=("y",), album=album)
    assert _lyric_leaks([on_album], LYRICS, set()) == [("z", "album")]
    assert _lyric_leaks([on_album], LYRICS, {album}) == []  # so is an album name as listed
    assert _lyric_leaks([planted], LYRICS, {planted.keywords[0][0]}) == [("x", "keywords")]


# ------------------------------------------------------------------------------------ reader

SAMPLE = [
    NamedSong(
        title="밤편지",
        artists=("아이유",),
        arena_id=144663,
        album_id=10,
        album="팔레트",
        melon_song_id=30512671,
        genres=("발라드",),
        moods=("사랑", "설렘"),
        keywords=(("밤", 1.0), ("편지", 0.25)),
        rank=3,
        sources=("arena_song_meta", "melon_genre_chart:ballad"),
        released="2017-03-24",
        chart=("2017-03:1", "2017-04:2"),
    ),
    NamedSong(title="봄", artists=("주현미", "서현 (SEOHYUN)"), released="1990"),
]


def _csv_row(song: NamedSong) -> list[str]:
    def cell(value: object) -> str:
        return "" if value is None else str(value)

    return [
        song.title,
        "|".join(song.artists),
        cell(song.arena_id),
        cell(song.album_id),
        cell(song.album),
        cell(song.melon_song_id),
        "|".join(song.genres),
        "|".join(song.moods),
        "|".join(f"{tag}:{weight}" for tag, weight in song.keywords),
        cell(song.rank),
        "|".join(song.sources),
        cell(song.released),
        "|".join(song.chart),
    ]


CSV_HEADER = [field.name for field in fields(NamedSong)]


def test_reader_round_trips_jsonl_json_csv(tmp_path: Path) -> None:
    jsonl = tmp_path / "songs.jsonl"
    write_jsonl(SAMPLE, jsonl)
    as_json = tmp_path / "songs.json"
    as_json.write_text(
        json.dumps([song_to_dict(s) for s in SAMPLE], ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    as_csv = tmp_path / "songs.csv"
    _write_csv(as_csv, CSV_HEADER, map(_csv_row, SAMPLE))
    for path in (jsonl, as_json, as_csv):
        assert read_named_songs([path]) == SAMPLE, path.suffix
    assert read_named_songs([jsonl, as_csv]) == SAMPLE + SAMPLE


def test_reader_normalises_tags_and_ignores_unknown_fields(tmp_path: Path) -> None:
    path = tmp_path / "songs.jsonl"
    row = {
        "title": " 비 ",
        "artists": ["폴킴"],
        "genres": ["Rock", "록", "#R&B"],
        "keywords": [["Night", 0.5], ["밤", 1]],
        "lyrics_url": "ignored",
    }
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n\n", encoding="utf-8")
    (song,) = read_named_songs([path])
    assert song == NamedSong(
        title="비", artists=("폴킴",), genres=("락", "알앤비"), keywords=(("밤", 1.0),)
    )


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("a.jsonl", '{"title": "a", "artists": ["b"]}\n{"title": "x"}\n', 2, "artists"),
        ("b.jsonl", '{"title": "a", "artists": ["b"]}\n\n{"title": \n', 3, "invalid JSON"),
        ("c.jsonl", '{"title": "a", "artists": ["b"], "rank": 0}\n', 1, "rank"),
        ("d.jsonl", '["a", "b"]\n', 1, "must be an object"),
        (
            "e.json",
            '[\n {"title": "a", "artists": ["b"]},\n {"title": "c", "artists": ["d"],'
            ' "arena_id": 999999}\n]',
            3,
            "arena_id",
        ),
        ("f.json", '[\n {"title": "a", "artists": ["b"]}\n {"title": "c"}\n]', 3, "expected ','"),
        ("g.csv", "title,artists,keywords\na,b,밤:1\nc,d,밤:1.5\n", 3, "(0, 1]"),
        ("h.csv", "title,artists,keywords\na,b,밤\n", 2, "tag:weight"),
        ("i.csv", "title,artists,rank\na,b,first\n", 2, "'rank' must be an integer"),
        ("j.csv", "title,artists\n,b\n", 2, "'title' is required"),
        ("k.csv", "title,artists,released\na,b,yesterday\n", 2, "'released' must be a date"),
        ("l.csv", "title,artists,chart\na,b,2016-13:1\n", 2, "'chart' entries"),
        ("m.jsonl", '{"title": "a", "artists": ["b"], "chart": ["2016-04"]}\n', 1, "month:rank"),
    ],
)
def test_reader_errors_name_file_and_line(
    tmp_path: Path, name: str, content: str, line: int, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NamedSongFormatError, match=re.escape(f"{path}:{line}:")) as err:
        read_named_songs([path])
    assert message in str(err.value)


def test_reader_rejects_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "songs.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(NamedSongFormatError, match="unsupported file type"):
        read_named_songs([path])


# --------------------------------------------------------------------------------- real data


def _raw_lists(shared: Path) -> tuple[list[str], set[str]]:
    """(lyrics, every title and album name as a source lists it), read for checking only."""
    lyrics: list[str] = []
    titles: set[str] = set()
    for path in sorted((shared / CHART_DIR).glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                lyrics.append(row["Lyric"])
                titles.add(row["Title"].strip())
    for path in (shared / "feelm_emotion_songs").glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            titles.update(row["music"].strip() for row in csv.DictReader(fh))
    meta = json.loads((shared / "melon_song_meta" / "song_meta_subset.json").read_text("utf-8"))
    titles.update(row["song_name"].strip() for row in meta)
    titles.update(row["album_name"].strip() for row in meta if row.get("album_name"))
    for song, lyric in iter_lyrics(shared / "melon_monthly_chart" / "songs.jsonl"):
        lyrics.append(lyric)
        titles.add(song.title)
        if song.album:
            titles.add(song.album)
    return lyrics, titles


@pytest.mark.shared
@pytest.mark.slow
def test_real_shared_data() -> None:
    shared = require_shared()
    songs = build_named_songs(shared)
    counts = summarize(songs)
    assert 2150 <= counts["melon_genre_chart"] <= 2199  # 2,199 distinct title+artist rows
    assert 800 <= counts["feelm"] <= 901  # 901 rows without joy/surprised, some repeated
    assert 320 <= counts["arena_song_meta"] <= 351  # 343 have artists
    assert 8000 <= counts["melon_monthly_chart"] <= 8250  # 8,250 songs, versions merged
    assert 9500 <= counts["total"] <= 10500  # merged across the four
    assert counts["with_melon_song_id"] >= 7900  # 8,115 chart songs have their Melon id
    assert counts["charted"] >= 8000
    assert counts["with_keywords"] >= 2000
    assert all(0.0 < w <= 1.0 for song in songs for _, w in song.keywords)
    assert all(len(song.keywords) <= 10 for song in songs)
    lyrics, titles = _raw_lists(shared)
    assert _lyric_leaks(songs, lyrics, titles) == []
