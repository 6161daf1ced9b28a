"""Claimants: cases recorded by staff for someone without an account

Revision ID: 5e2a8c4b1d77
Revises: 3c1f9a7d2b60
Create Date: 2026-12-10 09:00:00

A new table only: the person's name and contact are encrypted under the case's data key,
with a keyed index of their email.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2a8c4b1d77"
down_revision: str | None = "3c1f9a7d2b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claimants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grievance_id", sa.Uuid(), nullable=False),
        sa.Column("email_digest", sa.LargeBinary(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("full_name_ct", sa.LargeBinary(), nullable=False),
        sa.Column("email_ct", sa.LargeBinary(), nullable=True),
        sa.Column("phone_ct", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grievance_id"],
            ["grievances.id"],
            name=op.f("fk_claimants_grievance_id_grievances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claimants")),
        sa.UniqueConstraint("grievance_id", name=op.f("uq_claimants_grievance_id")),
    )
    op.create_index(op.f("ix_claimants_email_digest"), "claimants", ["email_digest"])


def downgrade() -> None:
    op.drop_index(op.f("ix_claimants_email_digest"), table_name="claimants")
    op.drop_table("claimants")
