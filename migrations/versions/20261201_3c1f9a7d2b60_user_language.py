"""user language

Revision ID: 3c1f9a7d2b60
Revises: b7c41e2d9a10
Create Date: 2026-12-01 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c1f9a7d2b60"
down_revision: str | None = "b7c41e2d9a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: no SQLite table rebuild under the users' child rows.
    # Empty for everyone: until a person chooses, their browser's language applies.
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
