"""One-time links mailed to a person: an invitation, a password reset, an address confirmation.

A link carries a random token; the database keeps only its SHA-256 (`password_tokens`), so a
dump holds nothing that opens an account. Each link works once and expires (`LIFETIMES`);
issuing a new one of the same kind ends the earlier ones, so only the newest mail works.
Following an invitation or a reset link proves the address too: it confirms the account.

The token rides in the mail's sealed outbox row (services/outbox.py) until the mail is sent
and the row purged; it is never shown in a page to anyone but the person who follows it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import NotFound
from portal.i18n import _l
from portal.models.users import PasswordToken, User
from portal.security import passwords
from portal.services import audit, outbox


class Purpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"
    CONFIRM = "confirm"


LIFETIMES = {
    Purpose.INVITE: timedelta(days=7),
    Purpose.RESET: timedelta(hours=2),
    Purpose.CONFIRM: timedelta(days=7),
}
# The links that set a password (the set-password page opens for these).
SETS_PASSWORD = frozenset({Purpose.INVITE, Purpose.RESET})
LINK_GONE = _l("This link has expired or was already used. Ask for a new one.")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, user: User, purpose: Purpose, now: datetime | None = None) -> str:
    """A new link of this kind for `user`; the earlier unused ones stop working."""
    now = now or utcnow()
    session.execute(
        sa.update(PasswordToken)
        .where(
            PasswordToken.user_id == user.id,
            PasswordToken.purpose == purpose.value,
            PasswordToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordToken(
            token_hash=digest(token),
            user=user,
            purpose=purpose.value,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    session.flush()
    return token


def _live(
    session: Session, token: str, purposes: frozenset[Purpose], now: datetime
) -> PasswordToken:
    row = session.get(PasswordToken, digest(token)) if token else None
    if (
        row is None
        or row.purpose not in purposes
        or row.used_at is not None
        or row.expires_at <= now
        or not row.user.active
    ):
        raise NotFound(LINK_GONE)
    return row


def password_link_user(session: Session, token: str, now: datetime | None = None) -> User:
    """Whose invitation or reset link this is; NotFound when used, expired or unknown."""
    return _live(session, token, SETS_PASSWORD, now or utcnow()).user


def invited(session: Session, token: str, now: datetime | None = None) -> bool:
    """Whether this live link is an invitation (the page greets a newcomer)."""
    return _live(session, token, SETS_PASSWORD, now or utcnow()).purpose == Purpose.INVITE


def set_password(session: Session, token: str, password: str, now: datetime | None = None) -> User:
    """Spend an invitation or reset link: the new password, the address confirmed, every
    other session of the account ended."""
    from portal.services.accounts import check_password, end_all_sessions

    now = now or utcnow()
    row = _live(session, token, SETS_PASSWORD, now)
    check_password(password)
    row.used_at = now
    user = row.user
    user.password_hash = passwords.hash_password(password, user)
    confirm(user, now)
    end_all_sessions(session, user, now=now)
    audit.record(
        session, user, "account.password_set", "user", user.id, {"by": row.purpose}, now=now
    )
    return user


def confirm(user: User, now: datetime) -> None:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now


def _mail(
    session: Session,
    user: User,
    template: str,
    token: str,
    purpose: Purpose,
    now: datetime,
    language: str | None = None,
) -> None:
    outbox.enqueue(
        session,
        to=user,
        template=template,
        context={"token": token, "expires": (now + LIFETIMES[purpose]).isoformat()},
        language=user.language or language,
        now=now,
    )


def send_confirmation(
    session: Session, user: User, language: str | None = None, now: datetime | None = None
) -> None:
    """Mail `user` a link that confirms their address (a new account, or "send it again"),
    in their language, else `language` (the page they registered on)."""
    now = now or utcnow()
    if user.email_confirmed_at is not None:
        return
    token = issue(session, user, Purpose.CONFIRM, now)
    _mail(session, user, "address_confirm", token, Purpose.CONFIRM, now, language)
    audit.record(session, user, "account.confirmation_sent", "user", user.id, now=now)


def confirmation_user(session: Session, token: str, now: datetime | None = None) -> User:
    """Whose live confirmation link this is (the page before its button)."""
    return _live(session, token, frozenset({Purpose.CONFIRM}), now or utcnow()).user


def confirm_address(session: Session, token: str, now: datetime | None = None) -> User:
    """Spend a confirmation link: the account may file from now on."""
    now = now or utcnow()
    row = _live(session, token, frozenset({Purpose.CONFIRM}), now)
    row.used_at = now
    confirm(row.user, now)
    audit.record(session, row.user, "account.address_confirmed", "user", row.user_id, now=now)
    return row.user


def send_reset(session: Session, user: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    token = issue(session, user, Purpose.RESET, now)
    _mail(session, user, "password_reset", token, Purpose.RESET, now)
    audit.record(session, None, "account.reset_requested", "user", user.id, now=now)


def send_invitation(session: Session, user: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    token = issue(session, user, Purpose.INVITE, now)
    _mail(session, user, "invitation", token, Purpose.INVITE, now)


def tell_owner(session: Session, owner: User, matched: str, now: datetime | None = None) -> None:
    """Someone registered with this account's address or member number: its owner hears of
    it by mail (the page answered them as it answers everyone)."""
    outbox.enqueue(
        session,
        to=owner,
        template="registration_repeated",
        context={"matched": matched},
        language=owner.language,
        now=now,
    )
