"""steering: revisions and similar-songs requests follow their reply; tag corrections

A person can drop or add a reply's tags, nudge its mood, or ask for songs like one song. Each
is a request of its own (kind revision, similar; inline for queries typed in any chat) that
points at the reply it came from (parent_id) and says what was asked (steer). Dropped and added
tags are stored (tag_corrections) with the tagger that showed them, and the ImageNet classes a
photo showed (evidence) so corrections can teach the tagger.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-11 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.models import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = "kind IN ('photo', 'text', 'playlist', 'album')"
KINDS_AFTER = "kind IN ('photo', 'text', 'playlist', 'album', 'revision', 'similar', 'inline')"


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("steer", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_requests_parent_id"), ["parent_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_requests_parent_id_requests"), "requests", ["parent_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
        batch_op.drop_constraint(op.f("ck_requests_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_requests_kind"), sa.text(KINDS_AFTER))
    op.create_table(
        "tag_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tagger", sa.String(length=32), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=4), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("action IN ('drop', 'add')", name=op.f("ck_tag_corrections_action")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_tag_corrections_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_tag_corrections_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_corrections")),
    )
    with op.batch_alter_table("tag_corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_corrections_request_id"), ["request_id"])
        batch_op.create_index(batch_op.f("ix_tag_corrections_user_id"), ["user_id"])


def downgrade() -> None:
    op.drop_table("tag_corrections")
    op.execute("DELETE FROM requests WHERE kind IN ('revision', 'similar', 'inline')")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_requests_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_requests_kind"), sa.text(KINDS_BEFORE))
        batch_op.drop_constraint(batch_op.f("fk_requests_parent_id_requests"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_requests_parent_id"))
        batch_op.drop_column("evidence")
        batch_op.drop_column("steer")
        batch_op.drop_column("revision")
        batch_op.drop_column("parent_id")
