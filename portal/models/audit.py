"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime


class AuditEntry(Base):
    """One recorded read or change. Never updated or deleted: each entry's hash
    covers its content, its place in its lane and the hash of the entry before it
    there, keyed by a secret the database never sees, so an edit, gap or
    reordering shows up in verification."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_object", "object_type", "object_id", "id"),
        # The auditor's trail of one person, newest first.
        sa.Index("ix_audit_entries_actor", "actor_id", "id"),
        sa.UniqueConstraint("lane", "seq", name="uq_audit_entries_lane_seq"),
    )

    # The order entries were written in, across lanes (for reading, not for the chain).
    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    # The chain: lane `lane`, position `seq` there, assigned in sequence by the
    # writer under the lane's head, so a gap means deletion.
    lane: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column()  # no FK: the log outlives accounts
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    # Which keys and encoding `hash` uses (see portal.security.audit_seal).
    scheme: Mapped[int] = mapped_column(sa.SmallInteger, default=3, server_default="1")


class AuditHead(Base):
    """A lane's newest link, one row per lane (`id` is the lane). A writer locks
    the first lane nobody else holds, so concurrent writers do not queue."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    # Keyed like the chain, so the head cannot be moved back to an older entry
    # to hide that the newest entries were deleted.
    mac: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    scheme: Mapped[int] = mapped_column(sa.SmallInteger, default=3, server_default="1")
