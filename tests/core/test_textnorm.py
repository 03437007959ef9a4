from __future__ import annotations

import unicodedata

import pytest

from core.textnorm import tag_key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("비 오는 날", "비오는날"),
        ("#새벽감성", "새벽감성"),
        ("  카페 ", "카페"),
        ("까페", "카페"),
        ("Rock", "락"),
        ("록", "락"),
        ("R&B", "알앤비"),
        ("RnB", "알앤비"),
        ("EDM", "edm"),
        ("Pop", "팝"),
        ("신남", "신나는"),
        ("새벽", "새벽"),
        ("!!", ""),
    ],
)
def test_tag_key(raw: str, key: str) -> None:
    assert tag_key(raw) == key


def test_decomposed_hangul_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "바다")
    assert decomposed != "바다" and tag_key(decomposed) == "바다"


def test_related_but_different_tags_stay_apart() -> None:
    assert tag_key("새벽감성") != tag_key("새벽")
    assert tag_key("팝송") != tag_key("팝")
