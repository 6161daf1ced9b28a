""" "You said, we did": what a committee changed because of what members told it.

A note is public (anyone may read it), so it is plain text: a title and a text in English
and Korean, at least one of them complete, linked to the categories it concerns.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow
from portal.models.committees import Committee
from portal.models.users import User


class Improvement(Base):
    __tablename__ = "improvements"
    __table_args__ = (sa.Index("ix_improvements_published", "published_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("committees.id"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The language the chair wrote in; the other one is optional.
    language: Mapped[str] = mapped_column(sa.String(8))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    body_en: Mapped[str | None] = mapped_column(sa.Text)
    title_ko: Mapped[str | None] = mapped_column(sa.String(200))
    body_ko: Mapped[str | None] = mapped_column(sa.Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    committee: Mapped[Committee] = relationship()
    author: Mapped[User | None] = relationship()
    category_rows: Mapped[list[ImprovementCategory]] = relationship(
        back_populates="improvement",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ImprovementCategory.category",
    )

    @property
    def categories(self) -> list[str]:
        return [row.category for row in self.category_rows]

    def title(self, language: str) -> str:
        """The title in `language` when written in it, else in the chair's language."""
        return getattr(self, f"title_{language}", None) or getattr(self, f"title_{self.language}")

    def body(self, language: str) -> str:
        return getattr(self, f"body_{language}", None) or getattr(self, f"body_{self.language}")

    def shown_language(self, language: str) -> str:
        """The language the note is shown in for a reader of `language`."""
        return language if getattr(self, f"title_{language}", None) else self.language


class ImprovementCategory(Base):
    __tablename__ = "improvement_categories"
    __table_args__ = (sa.Index("ix_improvement_categories_category", "category"),)

    improvement_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("improvements.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(sa.String(60), primary_key=True)

    improvement: Mapped[Improvement] = relationship(back_populates="category_rows")
