"""The transactional outbox: mail is a row written in the transaction of the change it reports.

Writing (`enqueue`) is all a service does; nothing is sent inside a request. A worker
(`flask outbox send`, `flask outbox work`) then claims due rows, renders and sends each one,
and marks it sent in a commit of its own:

    claim(session, worker, now)        one transaction: lease up to BATCH rows, count the attempt
    envelope(session, id, worker)      what to send, while the lease is the worker's
    mark_sent / mark_attempt_failed    one transaction per message

On PostgreSQL the claim locks rows with FOR UPDATE SKIP LOCKED, so two workers never claim
the same message; SQLite's writers queue (BEGIN IMMEDIATE), which does the same. A worker
killed mid-batch loses nothing: its lease (LEASE) runs out and another worker claims what it
had not marked sent. Delivery is at least once: a worker killed between the server's "250 OK"
and its own commit would send that one message again after the lease (docs/decisions.md).

The recipient and the context are sealed (AES-GCM under a key derived from the index root,
bound to the row id, template and language): a dump shows which templates were sent when, not
to whom or about which case. The context still holds only what a mail may say: references,
status and level codes, dates; never grievance text, names of parties, notes or messages.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models.outbox import OutboxMessage, OutboxStatus
from portal.models.users import User
from portal.security import keys
from portal.security.envelope import decrypt_text, encode_parts, encrypt_text
from portal.security.keys import derive_key

LEASE = timedelta(minutes=5)  # how long a claimed row stays a worker's
BATCH = 50
MAX_BACKOFF = timedelta(hours=6)
KEEP_SENT = timedelta(days=30)  # sent rows are deleted after this
MAX_CONTEXT = 4000  # bytes of JSON: references and dates, never prose
TEMPLATE_RE = re.compile(r"[a-z][a-z0-9_]{0,59}")
# Anything shaped like an address, in a server's error text (it may name other people).
ADDRESS_RE = re.compile(r"<?[^\s<>@,;:\"']+@[^\s<>@,;:\"']+>?")

Scalar = str | int | float | bool | None


# --- sealing ------------------------------------------------------------------------------


def _key() -> bytes:
    return derive_key(keys.current().index_root, "outbox")


def _aad(table: str, row_id: uuid.UUID, template: str, language: str | None) -> bytes:
    return encode_parts(table, str(row_id), template, language or "")


def seal(table: str, row_id: uuid.UUID, template: str, language: str | None, data: dict) -> bytes:  # type: ignore[type-arg]
    """`data` as JSON under the outbox key, bound to where it belongs (shared with
    services/notifications.py)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return encrypt_text(_key(), text, _aad(table, row_id, template, language))


def unseal(table: str, row_id: uuid.UUID, template: str, language: str | None, blob: bytes) -> dict:  # type: ignore[type-arg]
    found = json.loads(decrypt_text(_key(), bytes(blob), _aad(table, row_id, template, language)))
    if not isinstance(found, dict):
        raise ValueError("sealed payload is not an object")
    return found


def check_context(template: str, context: Mapping[str, object]) -> dict[str, Scalar]:
    """A template name and a flat context of short plain values, or ValueError (a bug)."""
    if not TEMPLATE_RE.fullmatch(template):
        raise ValueError(f"not a template name: {template!r}")
    clean: dict[str, Scalar] = {}
    for name, value in context.items():
        if not isinstance(value, str | int | float | bool | type(None)):
            raise ValueError(f"context value {name!r} must be a plain value")
        clean[str(name)] = value
    if len(json.dumps(clean)) > MAX_CONTEXT:
        raise ValueError("the context is too long for a notification")
    return clean


# --- writing ------------------------------------------------------------------------------


def enqueue(
    session: Session,
    *,
    to: User | str,
    template: str,
    context: Mapping[str, object],
    language: str | None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one mail to a user (their address as it is when it is sent) or to an address,
    in `language` (None: the association's default). Flushes nothing; the caller's
    transaction commits it together with the change it reports.

    `template` names templates/mail/<template>.html; `context` holds only plain values a
    mail may carry (see the module doc). Sealed, so a reset or invitation link may ride in it.
    """
    clean = check_context(template, context)
    if isinstance(to, User):
        recipient: dict[str, object] = {"user": to.id}
    else:
        address = to.strip()
        if "@" not in address or len(address) > 254:
            raise ValueError("not an email address")
        recipient = {"address": address}
    now = now or utcnow()
    message = OutboxMessage(
        id=uuid.uuid4(),
        template=template,
        language=language,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    message.payload_ct = seal(
        "outbox_messages",
        message.id,
        template,
        language,
        {"to": recipient, "context": clean},
    )
    session.add(message)
    return message


# --- the worker's side ----------------------------------------------------------------------


def claim(
    session: Session,
    worker: str,
    now: datetime,
    limit: int = BATCH,
    lease: timedelta = LEASE,
) -> list[uuid.UUID]:
    """Lease up to `limit` pending messages due at `now` to `worker`, counting an attempt on
    each (so a message that kills every worker still ends as failed). The caller commits."""
    due = sa.and_(
        OutboxMessage.status == OutboxStatus.PENDING.value,
        OutboxMessage.next_attempt_at <= now,
        sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )
    ids = list(
        session.scalars(
            sa.select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                claimed_by=worker,
                claimed_until=now + lease,
                attempts=OutboxMessage.attempts + 1,
                updated_at=now,
            )
        )
    return ids


@dataclass(frozen=True)
class Envelope:
    """A claimed message, unsealed: what the worker renders and sends."""

    id: uuid.UUID
    template: str
    language: str | None
    address: str | None  # None: the user has no usable address any more
    context: dict[str, Scalar]
    attempts: int


def envelope(session: Session, message_id: uuid.UUID, worker: str) -> Envelope | None:
    """The message if `worker` still holds it, else None (another worker took it over)."""
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if (
        message is None
        or message.claimed_by != worker
        or message.status != OutboxStatus.PENDING.value
    ):
        return None
    data = unseal(
        "outbox_messages", message.id, message.template, message.language, message.payload_ct
    )
    to = data.get("to") or {}
    address = to.get("address")
    if "user" in to:
        user = session.get(User, int(to["user"]))
        address = user.email if user is not None else None
    return Envelope(
        message.id,
        message.template,
        message.language,
        address,
        dict(data.get("context") or {}),
        message.attempts,
    )


def _held(message_id: uuid.UUID, worker: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.id == message_id,
        OutboxMessage.claimed_by == worker,
        OutboxMessage.status == OutboxStatus.PENDING.value,
    )


def mark_sent(session: Session, message_id: uuid.UUID, worker: str, now: datetime) -> bool:
    """Record the delivery; False when the lease was lost meanwhile."""
    done = session.execute(
        sa.update(OutboxMessage)
        .where(_held(message_id, worker))
        .values(
            status=OutboxStatus.SENT.value,
            sent_at=now,
            updated_at=now,
            claimed_by=None,
            claimed_until=None,
            last_error=None,
        )
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def backoff(attempts: int, base_seconds: int) -> timedelta:
    """The wait before the next attempt: base, 2 x base, 4 x base ... at most MAX_BACKOFF."""
    delay = timedelta(seconds=base_seconds) * (2 ** max(0, min(attempts - 1, 20)))
    return min(delay, MAX_BACKOFF)


def scrub(error: str) -> str:
    """An error for administrators: one line, no addresses (they may be other people's)."""
    line = " ".join(str(error).split())
    return ADDRESS_RE.sub("<address>", line)[:500]


def mark_attempt_failed(
    session: Session,
    message_id: uuid.UUID,
    worker: str,
    error: str,
    now: datetime,
    *,
    max_attempts: int,
    retry_seconds: int,
    permanent: bool = False,
) -> OutboxStatus | None:
    """This attempt failed: try again after the backoff, or give up once `max_attempts` were
    made (at once when `permanent`, such as a refused recipient). None: the lease was lost."""
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.claimed_by != worker:
        return None
    given_up = permanent or message.attempts >= max_attempts
    status = OutboxStatus.FAILED if given_up else OutboxStatus.PENDING
    session.execute(
        sa.update(OutboxMessage)
        .where(_held(message_id, worker))
        .values(
            status=status.value,
            next_attempt_at=now + backoff(message.attempts, retry_seconds),
            last_error=scrub(error),
            updated_at=now,
            claimed_by=None,
            claimed_until=None,
        )
    )
    return status


def release(session: Session, message_ids: list[uuid.UUID], worker: str) -> None:
    """Give back claimed messages not attempted (a worker stopping or out of lease): the
    attempt counted at the claim is returned too."""
    if not message_ids:
        return
    session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(message_ids),
            OutboxMessage.claimed_by == worker,
            OutboxMessage.status == OutboxStatus.PENDING.value,
        )
        .values(
            claimed_by=None,
            claimed_until=None,
            attempts=sa.case((OutboxMessage.attempts > 0, OutboxMessage.attempts - 1), else_=0),
        )
    )


def waiting(session: Session) -> int:
    """Pending messages: due later (a retry) or not yet claimed."""
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING.value)
        )
        or 0
    )


def purge_sent(session: Session, now: datetime) -> int:
    """Delete messages sent more than KEEP_SENT ago: the record is the case's timeline."""
    done = session.execute(
        sa.delete(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.SENT.value,
            OutboxMessage.sent_at < now - KEEP_SENT,
        )
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
