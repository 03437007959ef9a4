"""Steering a reply: parsing what people type, the energy axis, nudges, tag edits, similar songs."""

from __future__ import annotations

import numpy as np
import pytest

from core.catalog import Catalog
from core.domain import TagWeight
from core.errors import EmptyQuery
from core.recommender import Recommender
from core.songkeys import key_of
from core.steer_words import Steer, parse_steer
from core.steering import EnergyAxis, Similar, UnknownTags, edit_tags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+바다 -노을", Steer(drop=("노을",), add=("바다",))),
        ("-#노을 -카페, +여름", Steer(drop=("노을", "카페"), add=("여름",))),
        ("더 신나게", Steer(energy=1)),
        ("더잔잔하게 해줘", Steer(energy=-1)),
        ("more upbeat please", Steer(energy=1)),
        ("calmer", Steer(energy=-1)),
        ("-노을 더 신나게", Steer(drop=("노을",), energy=1)),
        ("고마워요", Steer()),
    ],
)
def test_parse_steer(text: str, expected: Steer) -> None:
    assert parse_steer(text) == expected


def test_parse_steer_empty_is_empty() -> None:
    assert parse_steer("그냥 좋네").empty
    assert not parse_steer("+비").empty


def test_energy_axis_orders_lively_above_calm(default_catalog: Catalog) -> None:
    axis = EnergyAxis(default_catalog)
    assert np.linalg.norm(axis.direction) == pytest.approx(1.0, abs=1e-5)
    for lively in ("신나는", "댄스", "파티"):
        for calm in ("잔잔한", "새벽", "휴식"):
            assert axis.of(lively) > axis.of(calm)
    # tags that are not anchors follow the axis too (learned, not listed)
    assert axis.of("클럽") > 0 > axis.of("잠잘때")
    assert axis.of("no-such-tag") == 0.0


def _song_energy(rec: Recommender, axis: EnergyAxis, tags: tuple[TagWeight, ...]) -> float:
    songs = rec.recommend(tags, 10)
    rows = [rec.catalog.songs.index(s.song) for s in songs]
    vecs = np.stack([rec.catalog.song_vector(r)[:-1] for r in rows])
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    return float((vecs @ axis.direction).mean())


def test_nudge_moves_tags_and_songs_along_the_axis(default_catalog: Catalog) -> None:
    axis = EnergyAxis(default_catalog)
    rec = Recommender(default_catalog, popularity_weight=2.0, hub_strength=2.0, hub_temperature=0.7)
    start = (TagWeight("카페", 1.0), TagWeight("감성", 0.8), TagWeight("새벽", 0.6))
    up = axis.nudge(start, +1)
    down = axis.nudge(start, -1)
    mean = lambda tags: sum(t.weight * axis.of(t.tag) for t in tags) / sum(t.weight for t in tags)  # noqa: E731
    assert mean(up) > mean(start) > mean(down)
    assert any(t.tag not in {s.tag for s in start} for t in up)  # it says which way it moved
    assert _song_energy(rec, axis, up) > _song_energy(rec, axis, start)
    assert _song_energy(rec, axis, down) < _song_energy(rec, axis, start)
    twice = axis.nudge(up, +1)
    assert mean(twice) > mean(up)
    with pytest.raises(ValueError, match="direction"):
        axis.nudge(start, 0)
    with pytest.raises(EmptyQuery):
        axis.nudge((), 1)


def test_edit_tags_drops_and_adds(default_catalog: Catalog) -> None:
    tags = (TagWeight("노을", 1.0), TagWeight("카페", 0.5), TagWeight("감성", 0.4))
    out = edit_tags(default_catalog, tags, Steer(drop=("노을",), add=("#바다",)))
    assert [t.tag for t in out] == ["바다", "카페", "감성"]
    assert out[0].weight == pytest.approx(1.0)
    with pytest.raises(UnknownTags) as info:
        edit_tags(default_catalog, tags, Steer(add=("없는태그xyz",)))
    assert info.value.words == ("없는태그xyz",)
    with pytest.raises(EmptyQuery):
        edit_tags(default_catalog, tags, Steer(drop=("노을", "카페", "감성")))


def test_similar_songs_exclude_the_song_and_its_artist(default_catalog: Catalog) -> None:
    rec = Recommender(default_catalog, popularity_weight=2.0, hub_strength=2.0, hub_temperature=0.7)
    seed = next(s for s in default_catalog.songs if s.named and s.melon_song_id)
    similar = Similar(rec).songs(seed.id, 5)
    assert len(similar) == 5
    seed_key = key_of(seed.title or "", seed.artists)
    keys = [key_of(s.song.title or "", s.song.artists) for s in similar]
    assert seed_key not in keys
    assert all(k[1] != seed_key[1] for k in keys)
    assert len({k[1] for k in keys}) == 5  # one song per artist
    # nearer than a random named song, on average
    row = default_catalog.songs.index(seed)
    v = default_catalog.song_vector(row)[:-1]
    near = np.mean(
        [default_catalog.song_vector(default_catalog.songs.index(s.song))[:-1] @ v for s in similar]
    )
    rng = np.random.default_rng(0)
    other = rng.choice(default_catalog.named, 200)
    assert near > np.mean([default_catalog.song_vector(int(r))[:-1] @ v for r in other])
    with pytest.raises(KeyError):
        Similar(rec).songs("named:does-not-exist")
