"""audit trail by actor: an index for the auditor's page

Revision ID: 9c4e1b7a3d58
Revises: 7a3e5c9d1b24
Create Date: 2026-12-15 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9c4e1b7a3d58"
down_revision: str | None = "7a3e5c9d1b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The auditor lists one person's entries newest first: (actor_id, id) serves it.
    op.create_index("ix_audit_entries_actor", "audit_entries", ["actor_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_actor", table_name="audit_entries")
