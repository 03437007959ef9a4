"""anonymised replies: requests.user_id may be NULL, and deleting a user no longer cascades

/forget used to delete the person's requests through ON DELETE CASCADE, and with them other
people's votes on those replies and whole group playlists the person had closed. Now a reply
that others voted on (and every group playlist) stays with user_id NULL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_requests_user_id_users"


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.create_foreign_key(FK, "users", ["user_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    # Anonymised replies have no owner to give back: they go, as /forget deleted them before.
    op.execute("DELETE FROM requests WHERE user_id IS NULL")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.create_foreign_key(FK, "users", ["user_id"], ["id"], ondelete="CASCADE")
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
