"""A grievance being reviewed before it is sent: kept server-side so Back never loses it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow


class FilingDraft(Base):
    """One filing form between "Review" and "Send", keyed by its one-time submission token.

    The fields are one AES-GCM blob under a key derived from the index root, bound to the
    token's hash and the writer's digest; a dump shows neither the text nor who wrote it."""

    __tablename__ = "filing_drafts"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    writer_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    body_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
