"""durable group playlists: a session's deadline lives in the database

A session's time window used to be a timer in the adapter's memory, so after a restart an open
playlist never closed. Now any adapter process finds due sessions (deadline passed; for
sessions opened before this migration, created_at + the window) and closes them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.models import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("playlist_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("playlist_sessions", schema=None) as batch_op:
        batch_op.drop_column("deadline")
