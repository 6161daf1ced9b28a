"""audit chain in lanes: entries get a lane and a position there; ids come from the database

Revision ID: 3b8f6c2a9d41
Revises: 9c4d2f6a8e13
Create Date: 2026-12-16 09:00:00.000000

Existing entries are lane 1's, at the position of their id, so the chain and its
seals verify unchanged. The other lanes' heads are opened at the next start
(`audit.open_lanes`, which needs the index key this migration does not have).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b8f6c2a9d41"
down_revision: str | None = "9c4d2f6a8e13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("audit_entries", recreate="auto") as batch:
        batch.add_column(sa.Column("lane", sa.SmallInteger(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
    op.execute("UPDATE audit_entries SET seq = id")
    with op.batch_alter_table("audit_entries", recreate="auto") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint("uq_audit_entries_lane_seq", ["lane", "seq"])
        if bind.dialect.name == "sqlite":
            # INTEGER PRIMARY KEY is SQLite's rowid: the database numbers new rows.
            batch.alter_column("id", existing_type=sa.BigInteger(), type_=sa.Integer())
    if bind.dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE audit_entries_id_seq OWNED BY audit_entries.id")
        op.execute(
            "SELECT setval('audit_entries_id_seq', COALESCE(MAX(id), 0) + 1, false) FROM audit_entries"
        )
        op.execute(
            "ALTER TABLE audit_entries ALTER COLUMN id SET DEFAULT nextval('audit_entries_id_seq')"
        )
    with op.batch_alter_table("audit_head") as batch:
        batch.alter_column("last_id", new_column_name="last_seq", existing_type=sa.BigInteger())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM audit_entries WHERE lane <> 1 LIMIT 1")).first():
        raise RuntimeError("entries in lanes other than 1 cannot be folded back into one chain")
    op.execute("DELETE FROM audit_head WHERE id <> 1")
    with op.batch_alter_table("audit_head") as batch:
        batch.alter_column("last_seq", new_column_name="last_id", existing_type=sa.BigInteger())
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_entries ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE audit_entries_id_seq")
    with op.batch_alter_table("audit_entries", recreate="auto") as batch:
        batch.drop_constraint("uq_audit_entries_lane_seq", type_="unique")
        batch.drop_column("seq")
        batch.drop_column("lane")
        if bind.dialect.name == "sqlite":
            batch.alter_column("id", existing_type=sa.Integer(), type_=sa.BigInteger())
