"""casework: sweep marks, extensions, recusals, links, panels

Revision ID: 7a3e5c9d1b24
Revises: 5d2e8a41c7f3
Create Date: 2026-12-01 09:46:37.982675
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db

revision: str = "7a3e5c9d1b24"
down_revision: str | None = "5d2e8a41c7f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_extensions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grievance_id", sa.Uuid(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_due_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("to_due_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_case_extensions_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["grievance_id"],
            ["grievances.id"],
            name=op.f("fk_case_extensions_grievance_id_grievances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_extensions")),
    )
    with op.batch_alter_table("case_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_extensions_grievance_id"), ["grievance_id"], unique=False
        )

    op.create_table(
        "case_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grievance_id", sa.Uuid(), nullable=False),
        sa.Column("linked_id", sa.Uuid(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_case_links_by_id_users")),
        sa.ForeignKeyConstraint(
            ["grievance_id"],
            ["grievances.id"],
            name=op.f("fk_case_links_grievance_id_grievances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_id"],
            ["grievances.id"],
            name=op.f("fk_case_links_linked_id_grievances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_links")),
        sa.UniqueConstraint("grievance_id", "linked_id", name=op.f("uq_case_links_grievance_id")),
    )
    with op.batch_alter_table("case_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_links_grievance_id"), ["grievance_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_links_linked_id"), ["linked_id"], unique=False)

    op.create_table(
        "case_recusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grievance_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grievance_id"],
            ["grievances.id"],
            name=op.f("fk_case_recusals_grievance_id_grievances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_case_recusals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_recusals")),
        sa.UniqueConstraint("grievance_id", "user_id", name=op.f("uq_case_recusals_grievance_id")),
    )
    with op.batch_alter_table("case_recusals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_recusals_grievance_id"), ["grievance_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_recusals_user_id"), ["user_id"], unique=False)

    op.create_table(
        "panel_seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grievance_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grievance_id"],
            ["grievances.id"],
            name=op.f("fk_panel_seats_grievance_id_grievances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_panel_seats_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_seats")),
        sa.UniqueConstraint(
            "grievance_id", "level", "user_id", name=op.f("uq_panel_seats_grievance_id")
        ),
    )
    with op.batch_alter_table("panel_seats", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_panel_seats_grievance_id"), ["grievance_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_panel_seats_user_id"), ["user_id"], unique=False)

    op.create_table(
        "panel_votes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grievance_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome_ct", sa.LargeBinary(), nullable=False),
        sa.Column("opinion_ct", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grievance_id"],
            ["grievances.id"],
            name=op.f("fk_panel_votes_grievance_id_grievances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_panel_votes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_votes")),
        sa.UniqueConstraint(
            "grievance_id", "level", "user_id", name=op.f("uq_panel_votes_grievance_id")
        ),
    )
    with op.batch_alter_table("panel_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_panel_votes_grievance_id"), ["grievance_id"], unique=False
        )

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("by_panel", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("clauses_ct", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("grievances", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("due_soon_marked_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "first_response_breached_at", portal.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("resolution_breached_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "escalation_requested_at", portal.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("extension_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("appeal_due_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_grievances_merged_into_id_grievances"),
            "grievances",
            ["merged_into_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("grievances", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_grievances_merged_into_id_grievances"), type_="foreignkey"
        )
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("appeal_due_at")
        batch_op.drop_column("extension_count")
        batch_op.drop_column("escalation_requested_at")
        batch_op.drop_column("resolution_breached_at")
        batch_op.drop_column("first_response_breached_at")
        batch_op.drop_column("due_soon_marked_at")

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("clauses_ct")
        batch_op.drop_column("by_panel")

    with op.batch_alter_table("panel_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_votes_grievance_id"))

    op.drop_table("panel_votes")
    with op.batch_alter_table("panel_seats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_seats_user_id"))
        batch_op.drop_index(batch_op.f("ix_panel_seats_grievance_id"))

    op.drop_table("panel_seats")
    with op.batch_alter_table("case_recusals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_recusals_user_id"))
        batch_op.drop_index(batch_op.f("ix_case_recusals_grievance_id"))

    op.drop_table("case_recusals")
    with op.batch_alter_table("case_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_links_linked_id"))
        batch_op.drop_index(batch_op.f("ix_case_links_grievance_id"))

    op.drop_table("case_links")
    with op.batch_alter_table("case_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_extensions_grievance_id"))

    op.drop_table("case_extensions")
