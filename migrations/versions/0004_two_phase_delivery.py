"""two-phase delivery: a reply is claimed with a lease, sent or edited, then confirmed

`delivered_at` used to be set *before* the reply was sent, so a failed send or a crash right
after the claim meant silence forever. Now a claim sets `delivery_lease_until` (another
adapter may retry once it has passed), `reply_ref` remembers the message that holds (or will
hold) the answer so a retry edits it instead of sending a second one, and `delivered_at` is
set only when the reply is out.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_ref", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("delivery_lease_until", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("delivery_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("delivery_error", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("delivery_error")
        batch_op.drop_column("delivery_attempts")
        batch_op.drop_column("delivery_lease_until")
        batch_op.drop_column("reply_ref")
