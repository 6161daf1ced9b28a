"""KPI ledger, per-case measures, root causes and corrective actions

Revision ID: 4e7a9c1d2b85
Revises: 6c1d9e3f2a57
Create Date: 2026-12-18 09:00:00.000000

Cases gain what the dashboard counts (the day filed, working hours to the first response
and to the first decision and whether each promise was kept, when it first escalated,
whether it repeats a recent case of the same member and kind, its root cause and the
encrypted five whys). `kpi_days` and `kpi_root_causes` are the daily ledger the dashboard
reads; `corrective_actions` the chairs' register.

Existing cases get `filed_on` as their UTC day here; the working hours, the repeat marks
and the ledger need the policy set's calendar, so `flask kpis rebuild` (which `make run`
calls when the ledger is behind) computes them from the cases' metadata.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db

revision: str = "4e7a9c1d2b85"
down_revision: str | None = "6c1d9e3f2a57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BINS = 40  # portal/domain/measures.py: len(EDGES) when this was written
COUNTS = (
    "filed", "open", "resolved", "withdrawn", "escalated", "appealed", "repeats",
    "fr_on_time", "fr_late", "res_on_time", "res_late",
)  # fmt: skip


def _key(table: str) -> list[sa.Column]:
    return [
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "committee_id",
            sa.Integer(),
            sa.ForeignKey("committees.id", name=f"fk_{table}_committee_id_committees"),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
    ]


def upgrade() -> None:
    counters = [*COUNTS, *(f"fr_{i:02d}" for i in range(BINS))]
    counters += [f"res_{i:02d}" for i in range(BINS)]
    op.create_table(
        "kpi_days",
        *_key("kpi_days"),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in counters),
        sa.PrimaryKeyConstraint(
            "day", "committee_id", "category", "channel", "priority", name="pk_kpi_days"
        ),
    )
    op.create_index(
        "ix_kpi_days_open",
        "kpi_days",
        ["committee_id", "day"],
        sqlite_where=sa.text('"open" > 0'),
        postgresql_where=sa.text('"open" > 0'),
    )
    op.create_table(
        "kpi_root_causes",
        *_key("kpi_root_causes"),
        sa.Column("root_cause", sa.String(length=60), nullable=False),
        sa.Column("cases", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "committee_id",
            "category",
            "channel",
            "priority",
            "root_cause",
            name="pk_kpi_root_causes",
        ),
    )
    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("root_cause", sa.String(length=60), nullable=True),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(root_cause IS NULL) <> (category IS NULL)", name="ck_corrective_actions_one_link"
        ),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
            name="fk_corrective_actions_committee_id_committees",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name="fk_corrective_actions_created_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_corrective_actions"),
    )
    op.create_index(
        "ix_corrective_actions_committee_status", "corrective_actions", ["committee_id", "status"]
    )
    with op.batch_alter_table("grievances") as batch:
        batch.add_column(sa.Column("filed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("first_response_hours", sa.Float(), nullable=True))
        batch.add_column(sa.Column("first_response_met", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("resolution_hours", sa.Float(), nullable=True))
        batch.add_column(sa.Column("resolution_met", sa.Boolean(), nullable=True))
        batch.add_column(
            sa.Column("escalated_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("is_repeat", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("root_cause", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("root_cause_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("root_cause_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("five_whys_ct", sa.LargeBinary(), nullable=True))
        batch.create_foreign_key(
            "fk_grievances_root_cause_by_id_users", "users", ["root_cause_by_id"], ["id"]
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE grievances SET filed_on = date(submitted_at)")
    else:
        op.execute("UPDATE grievances SET filed_on = CAST(submitted_at AT TIME ZONE 'UTC' AS date)")
    with op.batch_alter_table("grievances") as batch:
        batch.alter_column("filed_on", existing_type=sa.Date(), nullable=False)
        batch.alter_column("is_repeat", existing_type=sa.Boolean(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("grievances") as batch:
        batch.drop_constraint("fk_grievances_root_cause_by_id_users", type_="foreignkey")
        for name in (
            "five_whys_ct", "root_cause_at", "root_cause_by_id", "root_cause", "is_repeat",
            "escalated_at", "resolution_met", "resolution_hours", "first_response_met",
            "first_response_hours", "filed_on",
        ):  # fmt: skip
            batch.drop_column(name)
    op.drop_index("ix_corrective_actions_committee_status", table_name="corrective_actions")
    op.drop_table("corrective_actions")
    op.drop_table("kpi_root_causes")
    op.drop_index("ix_kpi_days_open", table_name="kpi_days")
    op.drop_table("kpi_days")
