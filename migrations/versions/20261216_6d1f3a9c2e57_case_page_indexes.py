"""indexes the benchmark found missing: merged duplicates, a reviewer's open cases

Revision ID: 6d1f3a9c2e57
Revises: 4b8e2f1c7a90
Create Date: 2026-12-16 12:00:00.000000

At 100,000 cases every case page read the whole grievances table to find duplicates
merged into its case (150 ms on PostgreSQL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6d1f3a9c2e57"
down_revision: str | None = "4b8e2f1c7a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    merged = sa.text("merged_into_id IS NOT NULL")
    op.create_index(
        "ix_grievances_merged_into",
        "grievances",
        ["merged_into_id"],
        postgresql_where=merged,
        sqlite_where=merged,
    )
    op.create_index("ix_grievances_assignee_open", "grievances", ["assignee_id", "is_open"])


def downgrade() -> None:
    op.drop_index("ix_grievances_assignee_open", table_name="grievances")
    op.drop_index("ix_grievances_merged_into", table_name="grievances")
