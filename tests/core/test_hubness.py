"""Hub correction: penalties against typical queries, and what the recommender makes of them."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from core.catalog import Catalog
from core.domain import TagWeight
from core.hubness import CHUNK, hub_penalties, reach
from core.recommender import Recommender


def test_reach_is_the_temperature_scaled_log_mean_exp_over_queries() -> None:
    rng = np.random.default_rng(0)
    songs = rng.normal(size=(7, 5)).astype(np.float32)
    queries = rng.normal(size=(CHUNK * 2 + 3, 5)).astype(np.float32)  # several chunks
    scores = (queries @ songs.T).astype(np.float64)
    for t in (0.05, 1.0, 30.0):
        naive = t * np.log(np.mean(np.exp(scores / t), axis=0))
        assert reach(songs, queries, t) == pytest.approx(naive, rel=1e-4, abs=1e-4)
    # T -> 0: the best score over the queries; T -> infinity: the mean score (centring)
    assert reach(songs, queries, 1e-3) == pytest.approx(scores.max(axis=0), abs=0.02)
    assert reach(songs, queries, 1e4) == pytest.approx(scores.mean(axis=0), abs=0.02)
    # the penalty is the reach above the median song's, and never a reward
    r = reach(songs, queries, 1.0)
    penalty = hub_penalties(songs, queries, 1.0)
    assert penalty == pytest.approx(np.maximum(r - np.median(r), 0.0), abs=1e-5)
    assert (penalty == 0).sum() >= 4


def test_no_queries_or_no_songs_means_no_penalty() -> None:
    assert hub_penalties(np.ones((3, 4)), np.zeros((0, 4)), 1.0).tolist() == [0.0, 0.0, 0.0]
    assert hub_penalties(np.zeros((0, 4)), np.ones((2, 4)), 1.0).shape == (0,)


@pytest.mark.parametrize("strength", [0.0, 0.7, 3.0])
def test_songs_are_ranked_by_score_minus_strength_times_hub(
    tiny_catalog: Catalog, strength: float
) -> None:
    rec = Recommender(tiny_catalog, hub_strength=strength, max_per_artist=10)
    tags = [TagWeight("바다", 1.0), TagWeight("커피", 0.5)]
    q = rec.query_vector(rec.resolve(tags), rec.popularity_weight)
    rows = [int(r) for r in tiny_catalog.named]
    vectors = np.stack([tiny_catalog.song_vector(r) for r in rows])
    expected = vectors @ q - strength * rec.hub
    order = [tiny_catalog.songs[rows[i]].id for i in np.argsort(-expected, kind="stable")]
    got = rec.recommend(tags, top_k=len(rows))
    assert [s.song.id for s in got] == order
    assert [s.score for s in got] == pytest.approx(sorted(expected, reverse=True), abs=1e-4)


def test_penalties_follow_each_songs_reach_over_the_catalogs_queries(
    tiny_catalog: Catalog,
) -> None:
    rec = Recommender(tiny_catalog, hub_temperature=1e4)  # ~ the mean score over the queries
    assert len(tiny_catalog.hub_queries) > 0
    vectors = np.stack([tiny_catalog.song_vector(int(r))[:-1] for r in tiny_catalog.named])
    mean = (tiny_catalog.hub_queries @ vectors.T).mean(axis=0)
    assert rec.hub == pytest.approx(np.maximum(mean - np.median(mean), 0.0), abs=1e-2)


def test_one_version_of_a_song_per_list(tiny_catalog: Catalog) -> None:
    songs = list(tiny_catalog.songs)
    named = [int(r) for r in tiny_catalog.named]
    first = songs[named[0]]
    twin = named[1]
    songs[twin] = replace(songs[twin], title=f"{first.title} (Remastered)", artists=first.artists)
    rec = Recommender(replace(tiny_catalog, songs=songs), max_per_artist=5)
    keys = Counter(
        (s.song.title or "").split(" (")[0] + s.song.artists[0]
        for tags in (["바다"], ["겨울"], ["카페"], ["바다", "겨울", "카페"])
        for s in rec.recommend([TagWeight(t, 1.0) for t in tags], top_k=10)
    )
    assert keys[first.title + first.artists[0]] <= 4  # at most once in each of the 4 lists
    full = rec.recommend([TagWeight(t, 1.0) for t in ("바다", "겨울", "카페")], top_k=10)
    assert len({(s.song.title or "").split(" (")[0] for s in full}) == len(full)


def test_variety_draws_a_different_list_per_query_and_the_same_for_the_same_query(
    tiny_catalog: Catalog,
) -> None:
    tags = [TagWeight("바다", 1.0), TagWeight("여름", 0.4)]
    steady = Recommender(tiny_catalog, max_per_artist=10)
    varied = Recommender(tiny_catalog, max_per_artist=10, variety=2.0)
    top = [s.song.id for s in steady.recommend(tags, top_k=3)]
    first = [s.song.id for s in varied.recommend(tags, top_k=3)]
    assert [s.song.id for s in varied.recommend(tags, top_k=3)] == first  # seeded by the query
    draws = {tuple(s.song.id for s in varied.recommend(tags, top_k=3, seed=k)) for k in range(20)}
    assert len(draws) > 1 and tuple(top) in draws
    assert [s.song.id for s in steady.recommend(tags, top_k=3, seed=5)] == top  # variety 0
