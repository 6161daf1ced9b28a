"""Check values of the keys that sealed this database, so a wrong key is refused."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow


class KeyCheck(Base):
    """An HMAC under one key of a fixed text: proves a key is the same key, reveals nothing.

    One row per key-encryption key id (`kind` "kek") and one for the index
    root ("index"). Start-up compares the loaded keys with these rows."""

    __tablename__ = "key_checks"

    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
