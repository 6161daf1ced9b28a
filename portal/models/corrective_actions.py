"""Corrective actions a committee's chair opens against a root cause or a kind of grievance.

An action is about how the association works, not about any one case, so its words are
plain: the register is read by the chairs, the administrators and the auditors alike.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow
from portal.models.committees import Committee
from portal.models.users import User


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class CorrectiveAction(Base):
    __tablename__ = "corrective_actions"
    __table_args__ = (
        # Linked to a root cause or to a kind of grievance: exactly one of them.
        sa.CheckConstraint("(root_cause IS NULL) <> (category IS NULL)", name="one_link"),
        sa.Index("ix_corrective_actions_committee_status", "committee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("committees.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner: Mapped[str] = mapped_column(sa.String(200))  # a person or an office
    due_on: Mapped[date] = mapped_column(sa.Date)
    root_cause: Mapped[str | None] = mapped_column(sa.String(60))
    category: Mapped[str | None] = mapped_column(sa.String(60))
    status: Mapped[str] = mapped_column(sa.String(20), default=ActionStatus.OPEN.value)
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    committee: Mapped[Committee] = relationship()
    created_by: Mapped[User] = relationship()
