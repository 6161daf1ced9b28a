"""The SLA sweep's indexes, and when a case was appealed

Revision ID: 9c4d2f6a8e13
Revises: 9c4e1b7a3d58
Create Date: 2026-12-15 09:00:00

Two indexes let `flask sla sweep` find the cases it must act on without reading every open
case: those still owing a first response by its due date, and those whose missed decision
date is not yet recorded, by that date. `appealed_at` is when the member appealed; the
appeal's own decision date counts from then.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db

revision: str = "9c4d2f6a8e13"
down_revision: str | None = "9c4e1b7a3d58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("grievances", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("appealed_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_grievances_sweep_first_response",
            ["is_open", "first_response_at", "first_response_due_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_grievances_sweep_resolution",
            ["is_open", "resolution_breached_at", "resolution_due_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("grievances", schema=None) as batch_op:
        batch_op.drop_index("ix_grievances_sweep_resolution")
        batch_op.drop_index("ix_grievances_sweep_first_response")
        batch_op.drop_column("appealed_at")
