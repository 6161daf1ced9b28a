"""Notifications in the portal: what happened on someone's cases, listed for them to read.

Each row is for one person, found by a keyed digest of their user id (a dump cannot tell
whose it is); what it says is the same template and context as the mail (sealed the same
way, services/outbox.py), rendered in the reader's language when the list is shown. A row
is written whether or not a mail goes too: the member's mail preference decides only mail.

Reading is explicit: opening one through its button (a POST) marks it read and goes to
the case; "Mark all as read" marks the rest. Showing the list changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import InvalidInput, NotFound
from portal.i18n import _l
from portal.models.outbox import Notification
from portal.models.users import User
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.services import audit
from portal.services.outbox import Scalar, check_context, seal, unseal

# The member's choice of what also comes by mail.
MAIL_ALL = "all"
MAIL_IMPORTANT = "important"  # decisions and requests for information only
MAIL_PREFERENCES = (MAIL_ALL, MAIL_IMPORTANT)
PAGE = 50
TABLE = "notifications"


def recipient_digest(user_id: int) -> bytes:
    return blind_index(keys.current().index_root, "notification-recipient", str(user_id))


def add(
    session: Session,
    user: User,
    template: str,
    context: Mapping[str, object],
    now: datetime | None = None,
) -> Notification:
    """One notification for `user`, in the caller's transaction."""
    clean = check_context(template, context)
    row = Notification(
        id=uuid.uuid4(),
        recipient_digest=recipient_digest(user.id),
        template=template,
        created_at=now or utcnow(),
    )
    row.payload_ct = seal(TABLE, row.id, template, None, clean)
    session.add(row)
    return row


def _mine(user: User) -> sa.ColumnElement[bool]:
    return _addressed_to(user.id)


def _addressed_to(user_id: int) -> sa.ColumnElement[bool]:
    return Notification.recipient_digest == recipient_digest(user_id)


def unread_count(session: Session, user: User) -> int:
    """For the navigation: one indexed count (usually read with the session, see below)."""
    known = getattr(user, UNREAD, None)
    if known is not None:
        return int(known)
    return session.scalar(unread_of(user.id)) or 0


# Where `accounts.resume_session` leaves the count it read beside the session, on the User.
UNREAD = "_portal_unread"


def unread_of(user_id: int) -> sa.Select[tuple[int]]:
    return _unread_to(recipient_digest(user_id))


def _unread_to(digest: bytes | sa.BindParameter[bytes]) -> sa.Select[tuple[int]]:
    return (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.recipient_digest == digest, Notification.read_at.is_(None))
    )


# The count as a subquery whose recipient is the parameter RECIPIENT (its `recipient_digest`),
# for a statement built once and run with its values (accounts' session query).
RECIPIENT = "unread_recipient"
UNREAD_OF_RECIPIENT = _unread_to(sa.bindparam(RECIPIENT)).scalar_subquery()


@dataclass(frozen=True)
class Shown:
    id: uuid.UUID
    template: str
    context: dict[str, Scalar]
    created_at: datetime
    read: bool


def _shown(row: Notification) -> Shown:
    context = unseal(TABLE, row.id, row.template, None, row.payload_ct)
    return Shown(row.id, row.template, context, row.created_at, row.read_at is not None)


def recent(
    session: Session, user: User, before: datetime | None = None, limit: int = PAGE
) -> tuple[list[Shown], bool]:
    """The person's notifications newest first (older than `before`), and whether there are
    more."""
    stmt = sa.select(Notification).where(_mine(user))
    if before is not None:
        stmt = stmt.where(Notification.created_at < before)
    rows = list(
        session.scalars(
            stmt.order_by(Notification.created_at.desc(), Notification.id).limit(limit + 1)
        )
    )
    return [_shown(r) for r in rows[:limit]], len(rows) > limit


def open_one(
    session: Session, user: User, notification_id: str, now: datetime | None = None
) -> Shown:
    """The person's notification, now marked read; NotFound for anyone else's."""
    try:
        key = uuid.UUID(notification_id)
    except ValueError:
        raise NotFound(_l("We could not find that notification.")) from None
    row = session.get(Notification, key)
    if row is None or bytes(row.recipient_digest) != recipient_digest(user.id):
        raise NotFound(_l("We could not find that notification."))
    if row.read_at is None:
        row.read_at = now or utcnow()
    return _shown(row)


def mark_all_read(session: Session, user: User, now: datetime | None = None) -> int:
    done = session.execute(
        sa.update(Notification)
        .where(_mine(user), Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def set_mail_preference(
    session: Session, user: User, choice: str, now: datetime | None = None
) -> None:
    """What also comes by mail: everything, or decisions and requests for information only."""
    if choice not in MAIL_PREFERENCES:
        raise InvalidInput(_l("Choose one of the options shown."), "mail")
    if user.mail_preference == choice:
        return
    user.mail_preference = choice
    audit.record(session, user, "account.mail_preference", "user", user.id, {"to": choice}, now=now)
