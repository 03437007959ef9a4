"""One song, many spellings: the (title, first artist) key that merges versions of one song."""

from __future__ import annotations

import pytest

from core.songkeys import artist_key, key_of, title_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("벚꽃 엔딩", "벚꽃엔딩"),
        ("화이트", "화이트 (White)"),
        ("비가 내렸어 (Vocal by 스티브언니)", "비가 내렸어"),
        ("겨울이야기 (Radio Version)", "겨울이야기"),
        ("Lie - Remastered 2011", "Lie"),
        ("Heartbreaker (Feat. Flo Rida)", "Heartbreaker"),
        ("Rain ft. Someone", "Rain"),
        ("날 그만 잊어요 (Guitar Ver.)", "날 그만 잊어요"),
        ("애수(哀愁)", "애수"),
        ("사랑..그 몹쓸병", "사랑 그 몹쓸 병"),
        ("MR.TAXI (Korean Ver.)", "mr. taxi"),
    ],
)
def test_versions_of_one_song_share_a_title_key(a: str, b: str) -> None:
    assert title_key(a) == title_key(b)


@pytest.mark.parametrize(("a", "b"), [("비", "비가 오는 날엔"), ("Intro", "Outro"), ("봄", "봄날")])
def test_different_songs_keep_different_keys(a: str, b: str) -> None:
    assert title_key(a) != title_key(b)


def test_a_title_that_is_only_brackets_keeps_its_words() -> None:
    assert title_key("(Intro)") == "intro"
    assert title_key("[   ]") == ""


def test_generic_track_names_keep_their_brackets() -> None:
    assert title_key("Intro (Stand Up)") != title_key("INTRO (ALIVE)")


@pytest.mark.parametrize(
    ("a", "b"),
    [("에일리(Ailee)", "에일리"), ("버스커 버스커", "버스커버스커"), ("AKMU (악뮤)", "akmu")],
)
def test_artist_aliases_and_spacing_do_not_split_an_artist(a: str, b: str) -> None:
    assert artist_key(a) == artist_key(b)


def test_key_uses_the_first_artist() -> None:
    assert key_of("봄날", ["방탄소년단", "피처링"]) == key_of("봄날 (Feat. X)", ["방탄소년단"])
    assert key_of("봄날", []) == ("봄날", "")
