"""the case key's wrapping key id is no longer indexed

Revision ID: 2f7b9d4e6c18
Revises: 9c4e1b7d3a26
Create Date: 2026-12-19 14:00:00.000000

A rotation rewrites every case's wrapped key; with `dek_key_id` indexed, PostgreSQL could not
update the rows in place (HOT) and rewrote all ten indexes of the table for each case.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2f7b9d4e6c18"
down_revision: str | None = "9c4e1b7d3a26"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_grievances_dek_key_id", table_name="grievances")


def downgrade() -> None:
    op.create_index("ix_grievances_dek_key_id", "grievances", ["dek_key_id"])
