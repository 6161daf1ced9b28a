"""Surveys after a decision, "you said, we did" notes, and confirmed email addresses

Revision ID: 6c1d9e3f2a57
Revises: 6d1f3a9c2e57
Create Date: 2026-12-17 09:00:00

`survey_invitations` (one per decided case: when it is due, sent, reminded, closed, and the
hashes of its links' tokens), `survey_answers` (no case or member id: committee, category,
reviewer of record and decision month, the four scores, the comment encrypted under the
answer's own data key), `survey_follow_ups` (a low score, for the committee's chair),
`improvements` and `improvement_categories`. `users.email_confirmed_at`: every account that
already has a password counts as confirmed (it was made before addresses were checked);
invitations not yet accepted are confirmed when their link sets a password.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db

revision: str = "6c1d9e3f2a57"
down_revision: str | None = "6d1f3a9c2e57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "improvements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=True),
        sa.Column("body_en", sa.Text(), nullable=True),
        sa.Column("title_ko", sa.String(length=200), nullable=True),
        sa.Column("body_ko", sa.Text(), nullable=True),
        sa.Column("published_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_improvements_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
            name=op.f("fk_improvements_committee_id_committees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvements")),
    )
    with op.batch_alter_table("improvements", schema=None) as batch_op:
        batch_op.create_index("ix_improvements_published", ["published_at"], unique=False)

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("decided_month", sa.Date(), nullable=False),
        sa.Column("outcome_score", sa.SmallInteger(), nullable=False),
        sa.Column("process_score", sa.SmallInteger(), nullable=False),
        sa.Column("fairness_score", sa.SmallInteger(), nullable=False),
        sa.Column("recommend_score", sa.SmallInteger(), nullable=False),
        sa.Column("dek_key_id", sa.String(length=16), nullable=True),
        sa.Column("dek_wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("comment_ct", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "fairness_score BETWEEN 1 AND 5", name=op.f("ck_survey_answers_fairness_score")
        ),
        sa.CheckConstraint(
            "outcome_score BETWEEN 1 AND 5", name=op.f("ck_survey_answers_outcome_score")
        ),
        sa.CheckConstraint(
            "process_score BETWEEN 1 AND 5", name=op.f("ck_survey_answers_process_score")
        ),
        sa.CheckConstraint(
            "recommend_score BETWEEN 0 AND 10", name=op.f("ck_survey_answers_recommend_score")
        ),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
            name=op.f("fk_survey_answers_committee_id_committees"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_survey_answers_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_answers_committee_month",
            ["committee_id", "decided_month", "category"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_survey_answers_dek_key_id"), ["dek_key_id"], unique=False
        )
        batch_op.create_index("ix_survey_answers_reviewer", ["reviewer_id"], unique=False)

    op.create_table(
        "improvement_categories",
        sa.Column("improvement_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["improvement_id"],
            ["improvements.id"],
            name=op.f("fk_improvement_categories_improvement_id_improvements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "improvement_id", "category", name=op.f("pk_improvement_categories")
        ),
    )
    with op.batch_alter_table("improvement_categories", schema=None) as batch_op:
        batch_op.create_index("ix_improvement_categories_category", ["category"], unique=False)

    op.create_table(
        "survey_follow_ups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grievance_id", sa.Uuid(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
            name=op.f("fk_survey_follow_ups_committee_id_committees"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_survey_follow_ups_done_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["grievance_id"],
            ["grievances.id"],
            name=op.f("fk_survey_follow_ups_grievance_id_grievances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_follow_ups")),
        sa.UniqueConstraint("grievance_id", name=op.f("uq_survey_follow_ups_grievance_id")),
    )
    with op.batch_alter_table("survey_follow_ups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_follow_ups_open", ["committee_id", "done_at"], unique=False
        )

    op.create_table(
        "survey_invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grievance_id", sa.Uuid(), nullable=False),
        sa.Column("send_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closes_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("reminder_token_hash", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["grievance_id"],
            ["grievances.id"],
            name=op.f("fk_survey_invitations_grievance_id_grievances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("grievance_id", name=op.f("uq_survey_invitations_grievance_id")),
        sa.UniqueConstraint(
            "reminder_token_hash", name=op.f("uq_survey_invitations_reminder_token_hash")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_survey_invitations_token_hash")),
    )
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_survey_invitations_due", ["sent_at", "send_at"], unique=False)
        batch_op.create_index(
            "ix_survey_invitations_remind", ["answered", "reminded_at", "sent_at"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_confirmed_at", portal.db.UTCDateTime(timezone=True), nullable=True)
        )
    users = sa.table(
        "users",
        sa.column("email_confirmed_at"),
        sa.column("created_at"),
        sa.column("password_hash"),
    )
    op.execute(
        users.update()
        .where(users.c.password_hash.is_not(None))
        .values(email_confirmed_at=users.c.created_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")

    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_invitations_remind")
        batch_op.drop_index("ix_survey_invitations_due")

    op.drop_table("survey_invitations")
    with op.batch_alter_table("survey_follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_follow_ups_open")

    op.drop_table("survey_follow_ups")
    with op.batch_alter_table("improvement_categories", schema=None) as batch_op:
        batch_op.drop_index("ix_improvement_categories_category")

    op.drop_table("improvement_categories")
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answers_reviewer")
        batch_op.drop_index(batch_op.f("ix_survey_answers_dek_key_id"))
        batch_op.drop_index("ix_survey_answers_committee_month")

    op.drop_table("survey_answers")
    with op.batch_alter_table("improvements", schema=None) as batch_op:
        batch_op.drop_index("ix_improvements_published")

    op.drop_table("improvements")
