"""The outbox as an administrator sees it ("Outgoing mail"): counts, what was not delivered,
and sending a failed message again. Messages are shown by address and error only: what a
message is about would tell an administrator who has a case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import InvalidInput, NotFound
from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.outbox import OutboxMessage, OutboxStatus
from portal.models.users import User
from portal.services import audit
from portal.services.access import require_role
from portal.services.outbox import unseal


@dataclass(frozen=True)
class Undelivered:
    """A message that failed, or is waiting for a retry, as an administrator sees it: the
    address and the error, not what it is about (that would tell who has a case)."""

    id: uuid.UUID
    status: str
    address: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime


def undelivered(session: Session, actor: User, limit: int = 100) -> list[Undelivered]:
    """Failed messages and those waiting for a retry, newest first."""
    require_role(actor, Role.ADMIN)
    rows = session.scalars(
        sa.select(OutboxMessage)
        .where(
            sa.or_(
                OutboxMessage.status == OutboxStatus.FAILED.value,
                sa.and_(
                    OutboxMessage.status == OutboxStatus.PENDING.value,
                    OutboxMessage.last_error.is_not(None),
                ),
            )
        )
        .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id)
        .limit(limit)
    ).all()
    tos = {
        row.id: unseal("outbox_messages", row.id, row.template, row.language, row.payload_ct)["to"]
        for row in rows
    }
    ids = {int(to["user"]) for to in tos.values() if "user" in to}
    users: dict[int, str] = {}
    if ids:  # their current addresses, in one query
        users = {
            i: e for i, e in session.execute(sa.select(User.id, User.email).where(User.id.in_(ids)))
        }
    found = []
    for row in rows:
        to = tos[row.id]
        address = users.get(int(to["user"])) if "user" in to else to.get("address")
        found.append(
            Undelivered(
                row.id,
                row.status,
                address,
                row.attempts,
                row.last_error,
                row.created_at,
                row.next_attempt_at,
            )
        )
    return found


def counts(session: Session, actor: User) -> dict[str, int]:
    """How many messages are pending, sent (and kept) and failed."""
    require_role(actor, Role.ADMIN)
    found = dict(
        session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return {s.value: int(found.get(s.value, 0)) for s in OutboxStatus}


def retry(
    session: Session, actor: User, message_id: str, now: datetime | None = None
) -> OutboxMessage:
    """An administrator sends a failed message again: pending, due now, attempts from zero."""
    require_role(actor, Role.ADMIN)
    try:
        key = uuid.UUID(message_id)
    except ValueError:
        raise NotFound(_l("We could not find that message.")) from None
    message = session.get(OutboxMessage, key)
    if message is None:
        raise NotFound(_l("We could not find that message."))
    if message.status != OutboxStatus.FAILED.value:
        raise InvalidInput(_l("Only a message that failed can be sent again."))
    now = now or utcnow()
    message.status = OutboxStatus.PENDING.value
    message.attempts = 0
    message.next_attempt_at = now
    message.updated_at = now
    message.claimed_by = message.claimed_until = None
    audit.record(session, actor, "outbox.retried", "outbox_message", message.id, now=now)
    return message
