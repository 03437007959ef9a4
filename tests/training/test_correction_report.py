"""Corrections stored by the bots -> `mri eval feedback` (per-tagger counts, precision with a
Wilson interval) and `mri eval corrections` (a learned table, replayed on held-out replies)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.config import Settings
from core.db import people
from core.db.database import Database
from core.db.models import Request
from core.db.steering import add_corrections
from core.tagging.imagenet import ImageNetTagger, read_scene_table
from mri.cli import app
from tests.training.test_corrections import synthetic_log
from training.correction_report import learn, tag_feedback
from training.feedback_report import wilson


@pytest.fixture
def corrected(tmp_path: Path) -> tuple[Path, int, int, int]:
    """A database holding a synthetic log of imagenet replies and their corrections."""
    data = tmp_path / "var"
    db = Database(Settings(data_dir=data).resolved_database_url)
    db.upgrade()
    shown = dropped = added = 0
    try:
        with db.transaction() as s:
            user = people.get_or_create_user(s, platform="telegram", external_id="7")
            chat = people.get_or_create_chat(
                s, platform="telegram", external_id="7", kind="private"
            )
            for reply in synthetic_log(1200, seed=3):
                tags = [{"key": t, "tag": t, "weight": 1.0, "shown": True} for t in reply.shown]
                req = Request(
                    job_id=str(uuid.uuid4()), kind="photo", chat_id=chat.id, user_id=user.id,
                    status="done", tags=tags, tagger="imagenet",
                    evidence={"classes": [list(c) for c in reply.classes]},
                )  # fmt: skip
                s.add(req)
                s.flush()
                add_corrections(
                    s, request_pk=req.id, user_pk=user.id, tagger="imagenet",
                    dropped=reply.dropped, added=reply.added,
                )  # fmt: skip
                shown += len(reply.shown)
                dropped += len(reply.dropped)
                added += len(reply.added)
        yield data, shown, dropped, added
    finally:
        db.dispose()


def test_feedback_counts_and_interval(corrected: tuple[Path, int, int, int]) -> None:
    data, shown, dropped, added = corrected
    db = Database(Settings(data_dir=data).resolved_database_url)
    try:
        [row] = tag_feedback(db)
        learned = learn(db)
    finally:
        db.dispose()
    assert (row.tagger, row.replies, row.shown, row.dropped, row.added) == (
        "imagenet", 1200, shown, dropped, added
    )  # fmt: skip
    assert row.interval == wilson(shown - dropped, shown)
    assert learned.replies == 1200 and learned.before.dropped > 50
    assert learned.after.repeat_rate < 0.6 * learned.before.repeat_rate
    assert learned.after.kept_rate > 0.85


def test_cli_reports_and_writes_a_table_the_tagger_serves(
    corrected: tuple[Path, int, int, int], tmp_path: Path
) -> None:
    data, shown, dropped, _ = corrected
    env = {"MRI_DATA_DIR": str(data)}
    feedback = CliRunner().invoke(app, ["eval", "feedback", "--out", str(tmp_path / "r")], env=env)
    assert feedback.exit_code == 0, feedback.output
    assert f"tags by imagenet: {shown} shown in 1200 replies, {dropped} dropped" in feedback.output
    assert "## Tag corrections" in (tmp_path / "r" / "summary.md").read_text(encoding="utf-8")
    table = tmp_path / "learned.tsv"
    out = CliRunner().invoke(app, ["eval", "corrections", "--write", str(table)], env=env)
    assert out.exit_code == 0, out.output
    assert "dropped tags shown again" in out.output and f"MRI_TAG_TABLE={table}" in out.output
    settings = Settings(data_dir=data, tag_table=table)
    from core.catalog import load_catalog

    tagger = ImageNetTagger(load_catalog(settings.catalog_dir), table=settings.tag_table)
    assert "+learned-" in tagger.version
    assert tagger.table != read_scene_table()
    bad = CliRunner().invoke(app, ["eval", "corrections", "--since", "yesterday"], env=env)
    assert bad.exit_code == 2 and "is not a date" in bad.output


def test_a_missing_table_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no table file at"):
        Settings(data_dir=tmp_path, tag_table=tmp_path / "nope.tsv")
