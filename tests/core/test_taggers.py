"""Offline taggers with real weights on real photos and text, against the embedded catalog."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.catalog import Catalog
from core.config import RESOURCES
from core.imaging import read_image_file
from core.tagging.base import TagScores
from core.tagging.cues import colour_cues
from core.tagging.imagenet import ImageNetTagger, read_scene_table
from core.tagging.text import TextTagger
from tests.shared_data import require_shared

LIMITS = {"max_bytes": 20_000_000, "max_pixels": 40_000_000}


@pytest.fixture(scope="module")
def tagger(default_catalog: Catalog) -> ImageNetTagger:
    return ImageNetTagger(default_catalog)


def _tags(tagger: ImageNetTagger, image: Image.Image, n: int = 5) -> list[str]:
    return [t.tag for t in tagger.tag(image)[:n]]


@pytest.mark.slow
def test_shipped_demo_photos(tagger: ImageNetTagger) -> None:
    coffee = _tags(tagger, read_image_file(RESOURCES / "demo/coffee.png", **LIMITS))
    assert {"커피", "카페"} <= set(coffee)
    mountain = _tags(tagger, read_image_file(RESOURCES / "demo/karwendel.jpg", **LIMITS))
    assert {"자연", "풍경"} <= set(mountain)


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.parametrize(
    ("photo", "expected"),
    [
        ("snow__flickr8k_1472053993_bed67a3ba7.jpg", {"겨울", "눈"}),
        ("rain__flickr8k_1797554350_20998753c0.jpg", {"비", "비오는날"}),
        ("night__unsplash_night_sky.jpg", {"밤"}),
        ("beach__flickr8k_1982852140_56425fa7a2.jpg", {"바다", "해변"}),
        ("sunset__flickr8k_160805827_5e6646b753.jpg", {"노을"}),
    ],
)
def test_real_photos_get_fitting_tags(
    tagger: ImageNetTagger, photo: str, expected: set[str]
) -> None:
    image = read_image_file(require_shared() / "photos" / photo, **LIMITS)
    tags = tagger.tag(image)
    assert expected <= {t.tag for t in tags[:5]}
    assert tags[0].weight == 1.0 and all(0 < t.weight <= 1 for t in tags)
    assert [t.weight for t in tags] == sorted((t.weight for t in tags), reverse=True)


def test_every_tag_the_tagger_can_emit_is_a_shown_catalog_tag(default_catalog: Catalog) -> None:
    table_tags = {t for pairs in read_scene_table().values() for t, _ in pairs}
    cue_tags = {t for t, _ in colour_cues(Image.new("RGB", (32, 32)))}
    for tag in table_tags | cue_tags:
        i = default_catalog.tag_index.get(tag)
        assert i is not None and default_catalog.tag_categories[i], tag


def test_colour_cues_tell_night_from_snow() -> None:
    night = dict(colour_cues(Image.new("RGB", (64, 64), (8, 8, 20))))
    snow = dict(colour_cues(Image.new("RGB", (64, 64), (245, 245, 250))))
    assert night["밤"] > 0.5 and night["눈"] == 0
    assert snow["눈"] > 0.3 and snow["밤"] == 0


def test_expansion_adds_neighbours_but_keeps_the_source_first(default_catalog: Catalog) -> None:
    scores = TagScores(default_catalog)
    scores.add("바다", 1.0)
    scores.add("아이유", 1.0)  # not a shown tag: ignored
    scores.expand()
    top = scores.top(5)
    assert top[0].tag == "바다" and len(top) > 1 and "아이유" not in {t.tag for t in top}


@pytest.fixture(scope="module")
def text_tagger(default_catalog: Catalog) -> TextTagger:
    return TextTagger(default_catalog)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("비 오는 날 카페에서 듣기 좋은 잔잔한 노래", {"비오는날", "카페", "잔잔한"}),
        ("새벽 드라이브", {"새벽", "드라이브"}),
        ("따뜻하고 포근한 겨울밤", {"따뜻한", "포근한", "겨울밤"}),
        ("신나는 여름 바다", {"신나는", "여름", "바다"}),
        ("아이유 감성", {"아이유", "감성"}),
    ],
)
def test_text_queries(text_tagger: TextTagger, text: str, expected: set[str]) -> None:
    assert expected <= {t.tag for t in text_tagger.tag_text(text)}


@pytest.mark.slow
def test_text_without_any_known_word_gives_no_tags(text_tagger: TextTagger) -> None:
    assert text_tagger.tag_text("qwzx ptkv") == []


def test_sunset_cue_wants_a_warm_sky_over_a_cooler_ground() -> None:
    sky = Image.new("RGB", (64, 64), (250, 120, 40))
    sky.paste((40, 30, 60), (0, 40, 64, 64))  # dark ground under an orange sky
    warm_table = Image.new("RGB", (64, 64), (250, 120, 40))  # warm all over: a drink, a lamp
    assert dict(colour_cues(sky))["노을"] > 0.5
    assert dict(colour_cues(warm_table))["노을"] == 0


def _seeing(tagger: ImageNetTagger, classes: dict[str, float]) -> list[str]:
    """The tags for a grey photo in which the model sees `classes` (name -> probability)."""
    names = (RESOURCES / "imagenet_classes.txt").read_text(encoding="utf-8").splitlines()
    probs = np.full(1000, 1e-6)
    for name, p in classes.items():
        probs[names.index(name)] = p
    probs /= probs.sum()
    original = tagger.class_probabilities
    tagger.class_probabilities = lambda image: probs  # type: ignore[method-assign]
    try:
        return [t.tag for t in tagger.tag(Image.new("RGB", (64, 64), (128, 128, 128)))]
    finally:
        tagger.class_probabilities = original  # type: ignore[method-assign]


def test_genres_only_where_music_is_made(tagger: ImageNetTagger, default_catalog: Catalog) -> None:
    cats = default_catalog.tag_categories
    genres = {k for k, c in zip(default_catalog.tag_keys, cats, strict=True) if c == "genre"}
    for dog in ("pug", "Chihuahua", "golden retriever", "Samoyed"):
        tags = _seeing(tagger, {dog: 0.8, "seashore": 0.1})
        assert tags[:2] == ["강아지", "반려동물"] and not genres & set(tags), (dog, tags)
    violin = _seeing(tagger, {"violin": 0.7, "cello": 0.2})
    assert {"바이올린", "클래식"} <= set(violin[:4]) and "공연" in violin
    stage = _seeing(tagger, {"stage": 0.5, "spotlight": 0.2, "restaurant": 0.2})
    assert genres & set(stage)  # a stage shows music being made: 밴드 may stay


def test_e5_label_votes_never_give_genres_to_non_music_classes(tagger: ImageNetTagger) -> None:
    genre_votes = {
        c for c, votes in enumerate(tagger.text_votes) for t, _ in votes
        if tagger.catalog.tag_categories[tagger.catalog.tag_index[t]] == "genre"
    }  # fmt: skip
    assert genre_votes <= tagger.music
    assert len(tagger.music) == 31
    # classes the curated table knows vote through it only (e5 matched pug to 방학, 파도)
    assert all(not tagger.text_votes[c] for c in tagger.table)
    assert sum(1 for votes in tagger.text_votes if votes) > 300


def test_expansion_pulls_in_only_close_neighbours(default_catalog: Catalog) -> None:
    shown = default_catalog.shown
    unit = default_catalog.tag_vectors[shown]
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    position = {int(t): k for k, t in enumerate(shown)}
    for source in ("강아지", "바다", "카페"):
        scores = TagScores(default_catalog)
        scores.add(source, 1.0)
        scores.expand(min_similarity=0.3)
        s = position[default_catalog.tag_index[source]]
        for i in scores.scores:
            assert unit[position[i]] @ unit[s] >= 0.3 or i == default_catalog.tag_index[source]
        everything = TagScores(default_catalog)
        everything.add(source, 1.0)
        everything.expand()
        assert set(scores.scores) <= set(everything.scores)
