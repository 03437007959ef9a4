"""Corrections teach: learned class -> tag weights cut repeated drops on replies they never saw."""

from __future__ import annotations

import numpy as np
import pytest

from core.tagging.base import parse_tag_weights
from core.tagging.imagenet import read_scene_table
from training.corrections import (
    CorrectedReply,
    class_names,
    class_votes,
    learn_table,
    replay,
    shown_by,
    split_halves,
    write_table,
)


def synthetic_log(n: int = 3000, seed: int = 0, bad_share: float = 0.2) -> list[CorrectedReply]:
    """Replies of a tagger using the shipped table (top 3 tags of three classes' votes; photos
    show 80 of its classes, as a real stream repeats its common scenes), from people who mostly
    drop a tag that only wrong (class, tag) pairs voted for (a hidden 20% of the table's pairs)
    and now and then add the tag they wanted."""
    rng = np.random.default_rng(seed)
    table = read_scene_table()
    classes = sorted(int(c) for c in rng.choice(sorted(table), 80, replace=False))
    bad = {(c, t) for c in classes for t, _ in table[c] if rng.random() < bad_share}
    log = []
    for _ in range(n):
        picked = [int(c) for c in rng.choice(classes, 3, replace=False)]
        evidence = tuple(zip(picked, (0.6, 0.25, 0.15), strict=True))
        shown = tuple(shown_by(table, CorrectedReply(evidence, ()), 3))
        voters = {t: [c for c in picked if t in dict(table[c])] for t in shown}
        wrong = {t for t in shown if all((c, t) in bad for c in voters[t])}
        dropped = frozenset(t for t in wrong if rng.random() < 0.8)
        added = frozenset({"여행"}) if rng.random() < 0.05 else frozenset()
        log.append(CorrectedReply(evidence, shown, dropped, added))
    return log


def test_no_corrections_keep_the_table() -> None:
    table = read_scene_table()
    assert learn_table(table, []) == {
        c: sorted(row, key=lambda tw: -tw[1]) for c, row in table.items()
    }


def test_a_pair_dropped_every_time_loses_its_weight() -> None:
    table = {1: [("바다", 1.0), ("여름", 0.5)], 2: [("여름", 1.0)]}
    replies = [CorrectedReply(((1, 1.0),), ("바다", "여름"), frozenset({"여름"}))] * 30
    learned = dict(learn_table(table, replies))
    assert dict(learned[1])["바다"] == pytest.approx(1.0)
    assert "여름" not in dict(learned[1]) or dict(learned[1])["여름"] < 0.1
    assert learned[2] == [("여름", 1.0)]  # never shown: untouched
    few = dict(learn_table(table, replies[:1])[1])
    assert 0.3 < few["여름"] < 0.5  # one drop moves it a little (shrunk towards the table)


def test_blame_is_shared_by_votes() -> None:
    table = {1: [("바다", 1.0)], 2: [("바다", 1.0)]}
    reply = CorrectedReply(((1, 0.9), (2, 0.1)), ("바다",), frozenset({"바다"}))
    learned = learn_table(table, [reply] * 10)
    assert dict(learned[1])["바다"] < dict(learned[2])["바다"]


def test_added_tags_gain_weight_for_the_photo_classes() -> None:
    table = {1: [("바다", 1.0)]}
    replies = [CorrectedReply(((1, 1.0),), ("바다",), added=frozenset({"여행"}))] * 20
    learned = dict(learn_table(table, replies)[1])
    assert learned["여행"] > 0.4
    assert class_votes({1: list(learned.items())}, [(1, 1.0)])["여행"] == pytest.approx(
        learned["여행"]
    )


def test_replay_shows_fewer_repeated_drops_on_the_held_out_half() -> None:
    log = synthetic_log()
    learn, held_out = split_halves(log)
    assert 0.4 < len(learn) / len(log) < 0.6
    table = read_scene_table()
    before = replay(table, held_out)
    after = replay(learn_table(table, learn), held_out)
    assert before.dropped > 300 and before.repeat_rate > 0.95  # the log was made by this table
    assert after.repeat_rate < 0.5 * before.repeat_rate
    assert after.kept_rate > 0.8  # the right tags mostly stay


def test_written_table_reads_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = learn_table(read_scene_table(), synthetic_log(300))
    names = class_names()
    assert names[2] == "great white shark"
    path = tmp_path / "learned" / "table.tsv"
    write_table(table, names, path)
    back = read_scene_table(path)
    assert set(back) == set(table)
    for c, row in table.items():
        assert [t for t, _ in back[c]] == [t for t, _ in row]
        assert [w for _, w in back[c]] == pytest.approx([w for _, w in row], abs=1e-4)
    assert parse_tag_weights("바다:0.5") == [("바다", 0.5)]
