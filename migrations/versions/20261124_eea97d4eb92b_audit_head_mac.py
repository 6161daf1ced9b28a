"""audit head mac

Revision ID: eea97d4eb92b
Revises: 6407bb19c208
Create Date: 2026-11-24 08:12:30.430836
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "eea97d4eb92b"
down_revision: str | None = "6407bb19c208"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        # Existing heads are sealed by the next audited write.
        batch_op.add_column(
            sa.Column("mac", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("mac")
