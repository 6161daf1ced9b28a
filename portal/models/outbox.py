"""Mail waiting to be sent (the transactional outbox) and notifications shown in the portal.

Both are written in the transaction of the change they report. Whom they are for and what
they say (the case reference, dates) are sealed under a key derived from the index root:
a reference beside a member's address or user id is exactly the link between a member and
a case that the rest of the store keeps out of a dump (see services/outbox.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt; an administrator may retry it


class OutboxMessage(Base):
    """One mail to one recipient, rendered from `template` when it is sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The worker's claim: pending messages due now, oldest due first.
        sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    # Client-generated, so the sealed payload can be bound to the row before the insert.
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    template: Mapped[str] = mapped_column(sa.String(60))
    # The recipient's chosen language; None: the association's default when it is written.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(10), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker's lease: the rows it claimed are its own until then (see services/outbox.py).
    claimed_by: Mapped[str | None] = mapped_column(sa.String(40))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last delivery error, with every address in it replaced (it is shown to administrators).
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sealed JSON: {"user": id} or {"address": "..."}, and the template's context.
    payload_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Notification(Base):
    """One event shown to one person in the portal ("Notifications" in the navigation)."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The unread count in the navigation, and the list newest first.
        sa.Index("ix_notifications_recipient", "recipient_digest", "read_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    # A keyed index of the user id (as a case's member digest), never a plain user id.
    recipient_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    template: Mapped[str] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payload_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)  # sealed JSON context
