"""Monthly chart files, chart-derived evidence (era, season, popularity) for placing songs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training.melon_chart import (
    BEACH_MONTHS,
    ChartFormatError,
    iter_lyrics,
    mostly_in,
    normalise_date,
    parse_entries,
    read_chart_songs,
    season_returns,
)
from training.placement import (
    ChartPrior,
    PlacementWeights,
    era_tags,
    fit_chart_prior,
    pseudo_count,
    season_tags,
)
from training.songs_io import NamedSong

LYRIC = "하얀 눈이 내리는 밤\n너를 생각해"  # invented for this test


def _write_songs(path: Path) -> Path:
    rows = [
        {
            "song_id": "100",
            "song_name": "첫눈",
            "artist": "가수 A, 가수 B",
            "album": "겨울 앨범",
            "release_date": "2012.12.03",
            "genre": "발라드, 국내드라마",
            "lyrics": LYRIC.split("\n"),
            "chart": ["2012-12:3", "2013-01:9", "2013-12:40", "2014-12:33"],
        },
        {
            "song_id": None,
            "song_name": "여름 노래",
            "artist": "가수 C",
            "album": None,
            "release_date": "-",
            "genre": "-",
            "lyrics": [],
            "chart": ["2015-07:1", "2015-08:4"],
        },
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_songs_jsonl_is_read_without_lyrics(tmp_path: Path) -> None:
    songs = read_chart_songs(_write_songs(tmp_path / "songs.jsonl"))
    first, second = songs
    assert (first.song_id, first.title, first.released, first.months) == (
        100,
        "첫눈",
        "2012-12-03",
        4,
    )
    assert first.genres == ("발라드", "국내드라마") and first.best_rank == 3
    assert second.song_id is None and second.released is None and second.genres == ()
    assert LYRIC.split("\n")[0] not in repr(songs)


def test_lyrics_are_handed_out_one_song_at_a_time(tmp_path: Path) -> None:
    pairs = list(iter_lyrics(_write_songs(tmp_path / "songs.jsonl")))
    assert [text for _, text in pairs] == [LYRIC, ""]


def test_chart_tsv_groups_entries_by_song(tmp_path: Path) -> None:
    tsv = tmp_path / "chart.tsv"
    tsv.write_text(
        "year\tmonth\trank\tsong_id\tsong_name\tartist\n"
        "2012\t12\t3\t100\t첫눈\t가수 A\n2013\t1\t9\t100\t첫눈\t가수 A\n"
        "2015\t7\t1\t\t여름\t가수 C\n",
        "utf-8",
    )
    songs = {s.title: s for s in read_chart_songs(tsv)}
    assert songs["첫눈"].months == 2 and songs["첫눈"].song_id == 100
    assert songs["여름"].song_id is None and songs["여름"].best_rank == 1


@pytest.mark.parametrize("content", ["", "not json\n", '{"song_name": "x"}\n'])
def test_a_wrong_file_is_one_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "songs.jsonl"
    path.write_text(content, "utf-8")
    with pytest.raises(ChartFormatError, match=str(path)):
        read_chart_songs(path)
    with pytest.raises(ChartFormatError, match="does not exist"):
        read_chart_songs(tmp_path / "missing.jsonl")


@pytest.mark.parametrize(
    ("raw", "date"),
    [("1999.11.20", "1999-11-20"), ("20140512", "2014-05-12"), ("2014.00.00", "2014"),
     ("2001.3", "2001-03"), ("-", None), ("", None), ("abcd", None)],
)  # fmt: skip
def test_release_dates_are_normalised(raw: str, date: str | None) -> None:
    assert normalise_date(raw) == date


def test_seasons_count_returns_in_later_years() -> None:
    xmas = parse_entries(["2012-12:3", "2013-01:9", "2013-12:40", "2014-12:33"])
    assert season_returns(xmas, {12}) == 3  # Dec 2012, Dec 2013, Dec 2014
    assert mostly_in(parse_entries(["2015-07:1", "2015-08:4", "2015-09:30"]), BEACH_MONTHS)
    assert not mostly_in(parse_entries(["2015-07:1", "2015-09:4"]), BEACH_MONTHS)


def test_season_tags_need_a_pattern_and_christmas_needs_a_return() -> None:
    xmas = season_tags(["2012-12:3", "2013-01:9", "2013-12:40", "2014-12:33"])
    assert xmas["겨울"] == pytest.approx(1.0) and xmas["크리스마스"] > 0.5
    december_once = season_tags(["2019-12:5", "2020-01:8"])
    assert "크리스마스" not in december_once and december_once["겨울"] == pytest.approx(0.5)
    evergreen = season_tags([f"2016-{m:02d}:10" for m in range(1, 13)])
    assert evergreen == {}


def test_era_tags_by_decade() -> None:
    assert era_tags("1996-03-01") == {"90년대": 1.0}
    assert era_tags("2008") == {"2000년대": 1.0}
    assert era_tags("2022-01-01") == {} and era_tags(None) == {}


def _song(chart: list[str], rank: int | None = None) -> NamedSong:
    return NamedSong(title="t", artists=("a",), chart=tuple(chart), rank=rank)


def test_chart_prior_is_fitted_on_songs_with_both_histories() -> None:
    rng = np.random.default_rng(0)
    known = []
    for _ in range(40):
        months, best = int(rng.integers(1, 30)), int(rng.integers(1, 100))
        n = float(np.expm1(1.0 + 1.5 * np.log(months) - 0.3 * np.log(best)))
        known.append((_song([f"2010-{1 + i % 12:02d}:{best}" for i in range(months)]), n))
    known += [(_song([]), 3.0)] * 12
    prior = fit_chart_prior(known)
    assert prior.fitted_on == 40 and prior.uncharted == 3.0
    assert (prior.intercept, prior.months_coef, prior.rank_coef) == pytest.approx(
        (1.0, 1.5, -0.3), abs=1e-3
    )


def test_too_few_songs_keep_the_default_prior() -> None:
    assert fit_chart_prior([(_song(["2010-01:1"]), 5.0)]) == ChartPrior()


def test_pseudo_count_rises_with_chart_history_and_can_be_switched_off() -> None:
    prior, weights = ChartPrior(), PlacementWeights()
    hit = _song([f"2010-{m:02d}:1" for m in range(1, 13)])
    one_month = _song(["2010-01:50"])
    listed = _song([], rank=1)
    counts = [pseudo_count(s, prior, weights, 10.0) for s in (hit, one_month, listed)]
    assert counts[0] > counts[2] > counts[1]
    off = PlacementWeights(popularity=0.0)
    flat = [pseudo_count(s, prior, off, 10.0) for s in (hit, one_month, listed)]
    assert flat == pytest.approx([10.0, 10.0, 10.0])


def test_evidence_sources_switch_off_by_name() -> None:
    weights = PlacementWeights().without("season", "era")
    assert (weights.season, weights.era, weights.artist) == (0.0, 0.0, 1.0)
    assert "season" not in weights.evidence() and "artist" in weights.evidence()
    with pytest.raises(ValueError, match="unknown evidence 'vibes'"):
        PlacementWeights().without("vibes")
