"""albums: several photos sent together are one request (kind 'album') whose reply names each
photo's tags or failure (requests.parts)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "kind IN ('photo', 'text', 'playlist', 'album')"
KINDS_BEFORE = "kind IN ('photo', 'text', 'playlist')"


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parts", sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f("ck_requests_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_requests_kind"), sa.text(KINDS))


def downgrade() -> None:
    op.execute("DELETE FROM requests WHERE kind = 'album'")  # no older kind can hold them
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_requests_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_requests_kind"), sa.text(KINDS_BEFORE))
        batch_op.drop_column("parts")
