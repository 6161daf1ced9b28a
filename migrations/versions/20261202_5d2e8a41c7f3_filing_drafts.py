"""filing drafts: the reviewed grievance kept server-side until it is sent

Revision ID: 5d2e8a41c7f3
Revises: 5e2a8c4b1d77
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db

revision: str = "5d2e8a41c7f3"
down_revision: str | None = "5e2a8c4b1d77"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "filing_drafts",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("writer_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("body_ct", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_filing_drafts")),
    )
    op.create_index(
        op.f("ix_filing_drafts_expires_at"), "filing_drafts", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_filing_drafts_expires_at"), table_name="filing_drafts")
    op.drop_table("filing_drafts")
