"""Place named songs (title + artists, no playlists) into the learned tag space.

A song's vector is a function of its tag profile (what the playlists containing it are tagged
with). A named song has no playlists, but we know some of: its artist (many artists are Arena
tags), its genre, mood labels, lyric keywords, its release year (the tag space knows 90년대,
2000년대 ...) and the months it spent in Melon's monthly chart (a song that charts mostly in
December and comes back every winter says 겨울 and 크리스마스). We turn those into the profile of
a *typical playlist that would contain it*: the average tag vector of playlists tagged with
each known tag (one hop through tag co-occurrence), mixed by the metadata weights. That profile
goes through the same profile vectors F as every Arena song. How many playlists the song would
be in (its pseudo count, which sets the popularity prior) comes from its chart history.
`measure_placement` checks the method on Arena songs whose metadata we know, against the
vectors learned from their real playlists. Every evidence source has a weight; 0 switches it off.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from core.textnorm import tag_key
from training.melon_chart import (
    SEASON_MONTHS,
    parse_entries,
    release_year,
    season_returns,
    season_shares,
)
from training.songs_io import NamedSong
from training.tagspace import TagSpace

_PAREN = re.compile(r"^(.*?)\s*\((.*?)\)\s*$")


EVIDENCE = ("artist", "genre", "mood", "keyword", "era", "season", "popularity")


@dataclass(frozen=True)
class PlacementWeights:
    """How much each kind of metadata counts in a named song's profile."""

    artist: float = 1.0
    genre: float = 0.6
    mood: float = 0.6
    keyword: float = 0.3
    era: float = 0.3
    season: float = 0.6
    popularity: float = 1.0  # 0: every named song gets the same pseudo count
    max_keywords: int = 10
    # Evidence a song must have before its own profile dominates: the average playlist's profile
    # joins the mix with this weight, so a song known only by one weak clue (a first chart run
    # in winter) lands near the typical song instead of at 'pure winter'.
    shrink: float = 2.0

    def without(self, *names: str) -> PlacementWeights:
        """These weights with the named evidence sources switched off."""
        unknown = sorted(set(names) - set(EVIDENCE))
        if unknown:
            raise ValueError(f"unknown evidence {unknown[0]!r}; choose from {', '.join(EVIDENCE)}")
        return replace(self, **dict.fromkeys(names, 0.0))  # type: ignore[arg-type]

    def evidence(self) -> tuple[str, ...]:
        """The evidence sources that are switched on."""
        return tuple(n for n in EVIDENCE if getattr(self, n) > 0)


# Release year -> the era tag playlists use for it.
ERAS: tuple[tuple[int, int, str], ...] = (
    (1980, 1989, "80년대"),
    (1990, 1999, "90년대"),
    (2000, 2009, "2000년대"),
    (2010, 2019, "2010년대"),
)
# Share of a season among chart months when a song has no seasonal pattern (Christmas = December).
SEASON_BASE = {season: len(months) / 12 for season, months in SEASON_MONTHS.items()}


def era_tags(released: str | None) -> dict[str, float]:
    """{'90년대': 1.0} for a song released in 1996; {} when the year is unknown or recent."""
    year = release_year(released)
    return {tag: 1.0 for low, high, tag in ERAS if year is not None and low <= year <= high}


def season_tags(chart: Sequence[str]) -> dict[str, float]:
    """Season tags from the months a song charted, each in (0, 1].

    Weight = how far the season's share of the chart months is above its base rate (a quarter;
    a twelfth for December's 크리스마스), halved when the song never came back to the chart in
    that season of a later year (a first run in July is weaker evidence of a summer song than
    returning every July). 크리스마스 needs a return: a December release alone is only winter."""
    entries = parse_entries(chart)
    out: dict[str, float] = {}
    for season, share in season_shares(entries).items():
        base = SEASON_BASE[season]
        excess = (share - base) / (1.0 - base)
        returned = season_returns(entries, SEASON_MONTHS[season]) >= 2
        if excess <= 0 or (season == "크리스마스" and not returned):
            continue
        out[season] = round(excess * (1.0 if returned else 0.5), 4)
    return out


def artist_aliases(name: str) -> list[str]:
    """'AKMU (악동뮤지션)' -> ['akmu(악동뮤지션)', 'akmu', '악동뮤지션'] as tag keys."""
    out = [tag_key(name)]
    match = _PAREN.match(name)
    if match:
        out += [tag_key(match.group(1)), tag_key(match.group(2))]
    return [a for a in dict.fromkeys(out) if a]


def metadata_tags(
    song: NamedSong,
    tag_index: dict[str, int],
    ambiguous: set[str],
    weights: PlacementWeights,
) -> dict[int, float]:
    """Known tags of a named song with weights (artist names that are also words are skipped)."""
    tags: dict[int, float] = {}

    def add(key: str, w: float) -> None:
        i = tag_index.get(key)
        if i is not None and w > 0:
            tags[i] = max(tags.get(i, 0.0), w)

    for artist in song.artists:
        for alias in artist_aliases(artist):
            if alias not in ambiguous:  # '비' the singer is not '비' the weather
                add(alias, weights.artist)
    for g in song.genres:
        add(g, weights.genre)
    for m in song.moods:
        add(m, weights.mood)
    for k, w in sorted(song.keywords, key=lambda kw: -kw[1])[: weights.max_keywords]:
        add(k, weights.keyword * w)
    for tag, w in era_tags(song.released).items():
        add(tag, weights.era * w)
    for tag, w in season_tags(song.chart).items():
        add(tag, weights.season * w)
    return tags


def tag_cooccurrence_profiles(playlist_tags: sp.csr_matrix) -> sp.csr_matrix:
    """Row t = average (binary) tag vector of the playlists tagged t."""
    x = playlist_tags.tocsr().astype(np.float32)
    x.data[:] = 1.0
    gram = (x.T @ x).tocsr()
    counts = np.maximum(gram.diagonal(), 1.0)
    return (sp.diags(1.0 / counts) @ gram).tocsr()  # type: ignore[no-any-return]


def typical_playlists(
    tags: Sequence[dict[int, float]],
    profiles: sp.csr_matrix,
    shrink: float = 0.0,
    background: np.ndarray | None = None,
) -> sp.csr_matrix:
    """(songs x tags): the tag profile of a typical playlist holding each song, from its
    metadata tag weights, pulled towards `background` (the average playlist) with weight
    `shrink` (see PlacementWeights)."""
    n_tags = profiles.shape[0]
    rows, cols, vals, totals = [], [], [], []
    for r, t in enumerate(tags):
        total = sum(t.values()) + (shrink if background is not None else 0.0)
        totals.append(total or 1.0)
        for i, w in t.items():
            rows.append(r)
            cols.append(i)
            vals.append(w / (total or 1.0))
    mix = sp.csr_matrix((vals, (rows, cols)), shape=(len(tags), n_tags), dtype=np.float32)
    typical = (mix @ profiles).tocsr()
    if background is None or shrink <= 0:
        return typical  # type: ignore[no-any-return]
    share = (shrink / np.array(totals, dtype=np.float32))[:, None]
    return sp.csr_matrix(typical + share * background[None, :].astype(np.float32))


def place(
    tags: Sequence[dict[int, float]],
    profiles: sp.csr_matrix,
    space: TagSpace,
    pseudo_count: np.ndarray,
    shrink: float = 0.0,
    background: np.ndarray | None = None,
) -> np.ndarray:
    """(songs x dim) vectors for metadata tag weights, as if in `pseudo_count` playlists each."""
    per_playlist = typical_playlists(tags, profiles, shrink, background)
    counts = sp.diags(pseudo_count.astype(np.float32)) @ per_playlist
    return space.song_vectors(counts.tocsr(), pseudo_count)


def norm_scale(placed: np.ndarray, learned: np.ndarray) -> float:
    """Median ||learned|| / ||placed|| over songs that have both: placed profiles are averages
    and come out shorter than profiles learned from real playlists, which would rank every
    placed song below every learned one."""
    if len(placed) == 0:
        return 1.0
    ratio = np.linalg.norm(learned, axis=1) / np.maximum(np.linalg.norm(placed, axis=1), 1e-12)
    return float(np.median(ratio))


def measure_placement(
    placed: np.ndarray, learned: np.ndarray, all_songs: np.ndarray
) -> dict[str, float]:
    """Cosine of placed vs learned vectors, and how often the learned song is among the
    100 songs nearest (cosine) to the placed vector."""

    def unit(m: np.ndarray) -> np.ndarray:
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)

    if len(placed) == 0:
        return {"n": 0.0}
    own = np.sum(unit(placed) * unit(learned), axis=1)
    rank = (unit(placed) @ unit(all_songs).T > own[:, None]).sum(axis=1)
    return {
        "n": float(len(placed)),
        "mean_cosine": round(float(own.mean()), 4),
        "recall@100": round(float((rank < 100).mean()), 4),
        "median_rank": float(np.median(rank)),
    }


@dataclass(frozen=True)
class ChartPrior:
    """How many playlists a named song would be in, from its chart history.

    log(1 + playlists) = intercept + months_coef * log(chart months) + rank_coef * log(best rank),
    fitted at build time on the named songs whose playlists we know (Arena songs that also
    charted); the defaults are that fit on the shared data (22 songs, r = 0.84). A song that never
    charted gets `uncharted` (the median playlist count of known songs that never charted), more
    for the top of the list it came from."""

    intercept: float = 1.96
    months_coef: float = 1.10
    rank_coef: float = -0.24
    uncharted: float = 4.0
    fitted_on: int = 0

    def charted(self, months: int, best_rank: int) -> float:
        log_n = self.intercept + self.months_coef * np.log(months)
        return float(np.expm1(log_n + self.rank_coef * np.log(max(best_rank, 1))))

    def listed(self, rank: int | None) -> float:
        return self.uncharted * (1.0 + (2.0 / np.sqrt(rank) if rank else 0.0))


MIN_PRIOR_FIT = 10  # songs with both a chart history and a playlist count


def fit_chart_prior(known: Sequence[tuple[NamedSong, float]]) -> ChartPrior:
    """Fit ChartPrior on (named song, playlists containing it) pairs; defaults when too few."""
    default = ChartPrior()
    charted = [(parse_entries(s.chart), n) for s, n in known if s.chart]
    uncharted = [n for s, n in known if not s.chart]
    median = float(np.median(uncharted)) if len(uncharted) >= MIN_PRIOR_FIT else default.uncharted
    if len(charted) < MIN_PRIOR_FIT:
        return ChartPrior(uncharted=median)
    x = np.array(
        [[1.0, np.log(len(e)), np.log(min(x.rank for x in e))] for e, _ in charted], np.float64
    )
    y = np.log1p(np.array([n for _, n in charted], np.float64))
    intercept, months, rank = (round(float(c), 4) for c in np.linalg.lstsq(x, y, rcond=None)[0])
    return ChartPrior(intercept, months, rank, uncharted=median, fitted_on=len(y))


def pseudo_count(
    song: NamedSong, prior: ChartPrior, weights: PlacementWeights, flat: float
) -> float:
    """A named song's stand-in for 'playlists containing it' (sets its popularity prior).

    With `weights.popularity` 0 every song gets `flat`; at 1 the chart prior; in between, a
    geometric blend of the two."""
    entries = parse_entries(song.chart)
    if entries:
        fitted = prior.charted(len(entries), min(e.rank for e in entries))
    else:
        fitted = prior.listed(song.rank)
    w = min(max(weights.popularity, 0.0), 1.0)
    return float(np.exp((1 - w) * np.log(flat) + w * np.log(max(fitted, 1e-3))))
