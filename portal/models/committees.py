"""Committees and who sits on them."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.models.users import User


class Seat(StrEnum):
    REVIEWER = "reviewer"
    CHAIR = "chair"


class Committee(Base):
    __tablename__ = "committees"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The policy files name committees by slug.
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")

    memberships: Mapped[list[CommitteeMembership]] = relationship(
        back_populates="committee", cascade="all, delete-orphan"
    )


class CommitteeMembership(Base):
    __tablename__ = "committee_memberships"
    __table_args__ = (sa.UniqueConstraint("committee_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("committees.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seat: Mapped[str] = mapped_column(sa.String(20))

    committee: Mapped[Committee] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
