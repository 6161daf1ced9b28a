"""Every policy version a case was filed under, so `flask policies diff` can compare."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow


class PolicyVersion(Base):
    __tablename__ = "policy_versions"

    # sha256 hex of the canonical content; the snapshot reproduces it.
    version: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    content: Mapped[str] = mapped_column(sa.Text)  # JSON snapshot of the whole set
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
