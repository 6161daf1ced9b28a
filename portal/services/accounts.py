"""Accounts: registration, sign-in, server-side sessions, passwords, invitations.

The links mailed for invitations, resets and address confirmation are account_links.py's."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.db import PREPARED, apart, utcnow
from portal.domain.errors import AddressUnconfirmed, InvalidInput
from portal.domain.roles import Role
from portal.i18n import LANGUAGES, _l
from portal.models.users import User, UserSession
from portal.security import passwords
from portal.services import account_links, audit, claims, notifications


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> tuple[str, str]:
    """The address as the person typed it (trimmed) and its case-folded key."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(
            _l("Enter a valid email address, like name@example.org."), "email"
        ) from exc
    return checked.normalized, checked.normalized.casefold()


def normalise_member_number(number: str | None) -> str | None:
    number = (number or "").strip().upper()
    return number or None


def check_password(password: str, field: str = "password") -> None:
    problem = passwords.password_problem(password)
    if problem:
        raise InvalidInput(problem, field)


def _ensure_unique(session: Session, email_key: str, member_number: str | None) -> None:
    if session.scalar(sa.select(User.id).where(User.email_key == email_key)):
        raise InvalidInput(_l("An account with this email address already exists."), "email")
    if member_number and session.scalar(
        sa.select(User.id).where(User.member_number == member_number)
    ):
        raise InvalidInput(_l("This member number already has an account."), "member_number")


def register(
    session: Session,
    *,
    full_name: str,
    email: str,
    member_number: str | None,
    password: str,
    mode: str,
    claim_code: str = "",
    language: str | None = None,
    now: datetime | None = None,
) -> User | None:
    """Open registration of a member account; None when the address or member number
    already has one.

    The caller answers both outcomes alike, so the form never tells a stranger who is a
    member: no duplicate is created, nobody is signed in, the attempt is audited, the
    existing account's owner is told by mail (a new account gets its confirmation mail: one
    mail either way), and the password is hashed anyway so both take as long. A new account
    may sign in at once but files only once its address is confirmed.

    With the claim code the office gave them, the cases staff recorded for this email
    before the person had an account become theirs (each claim audited)."""
    if mode != "open":
        raise InvalidInput(_l("Accounts are created by invitation. Ask the association office."))
    email, email_key = normalise_email(email)
    number = normalise_member_number(member_number)
    check_password(password)
    argon2_hash = passwords.unsealed_hash(password)  # either way, so both take as long
    existing = session.scalar(
        sa.select(User).where(
            sa.or_(User.email_key == email_key, User.member_number == number)
            if number
            else User.email_key == email_key
        )
    )
    if existing is not None:
        matched = "email" if existing.email_key == email_key else "member_number"
        account_links.tell_owner(session, existing, matched, now=now)
        audit.record(
            session,
            None,
            "account.registration_repeated",
            "user",
            existing.id,
            {"matched": matched},
            now=now,
        )
        return None
    user = User(
        email=email,
        email_key=email_key,
        full_name=full_name.strip(),
        member_number=number,
        created_at=now or utcnow(),
    )
    user.set_roles({Role.MEMBER})
    session.add(user)
    session.flush()
    user.password_hash = passwords.seal(argon2_hash, user)
    audit.record(session, user, "account.registered", "user", user.id, now=now)
    # The confirmation comes in the language the person registered in.
    account_links.send_confirmation(session, user, language=language, now=now)
    claims.claim_recorded_cases(session, user, claim_code, now=now)
    return user


def require_confirmed(user: User) -> None:
    """Filing online needs an address the person has shown is theirs."""
    if user.email_confirmed_at is None:
        raise AddressUnconfirmed(
            _l(
                "Please confirm your email address before you file a grievance: open the "
                "link we sent to %(email)s. This makes sure nobody files in another "
                "person's name.",
                email=user.email,
            )
        )


def authenticate(
    session: Session, email: str, password: str, now: datetime | None = None
) -> User | None:
    """The user these credentials belong to, or None; the caller cannot tell why."""
    try:
        _, key = normalise_email(email)  # the same spelling rules as registration
    except InvalidInput:
        key = email.strip().casefold()
    user = session.scalar(sa.select(User).where(User.email_key == key))
    stored = user.password_hash if user is not None else None
    if not passwords.verify_password(stored, password, user) or user is None or not user.active:
        return None
    if passwords.needs_rehash(stored or "", user):
        user.password_hash = passwords.hash_password(password, user)
    user.last_login_at = now or utcnow()
    audit.record(session, user, "account.signed_in", "user", user.id, now=now)
    return user


def start_session(session: Session, user: User, now: datetime | None = None) -> str:
    """A fresh session id for the cookie; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(UserSession(id_hash=_digest(token), user=user, created_at=now, last_seen_at=now))
    session.flush()
    return token


# The session, its user, their roles and their unread notices in one statement: every page
# asks for all four. Built once (every request would rebuild it and its cache key).
_SESSION_QUERY = (
    sa.select(UserSession, notifications.UNREAD_OF_RECIPIENT)
    .where(UserSession.id_hash == sa.bindparam("id_hash"))
    .options(joinedload(UserSession.user).joinedload(User.role_rows))
    .execution_options(**{PREPARED: True})
)


def resume_session(
    session: Session,
    user_id: int,
    token: str | None,
    max_age: timedelta,
    now: datetime | None = None,
) -> User | None:
    """The user of a live session, or None when it ended, expired or the user was deactivated."""
    if not token:
        return None
    now = now or utcnow()
    found = (
        session.execute(
            _SESSION_QUERY,
            {
                "id_hash": _digest(token),
                notifications.RECIPIENT: notifications.recipient_digest(user_id),
            },
        )
        .unique()
        .first()
    )
    if found is None:
        return None
    row, unread = found
    if row.revoked_at is not None or row.user_id != user_id:
        return None
    setattr(row.user, notifications.UNREAD, unread)
    if now - row.last_seen_at > max_age or not row.user.active:
        return None
    # Touch at most once a minute to keep reads cheap; a page that only reads
    # keeps the touch too (apart commits it on its own).
    if now - row.last_seen_at > timedelta(minutes=1):
        with apart(session) as writer:
            writer.execute(
                sa.update(UserSession)
                .where(UserSession.id_hash == row.id_hash)
                .values(last_seen_at=now)
            )
        set_committed_value(row, "last_seen_at", now)
    return row.user


def end_session(session: Session, token: str | None, now: datetime | None = None) -> None:
    if not token:
        return
    row = session.get(UserSession, _digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or utcnow()
        audit.record(session, row.user, "account.signed_out", "user", row.user_id, now=now)


def end_all_sessions(
    session: Session, user: User, except_token: str | None = None, now: datetime | None = None
) -> None:
    keep = _digest(except_token) if except_token else None
    session.execute(
        sa.update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.id_hash != (keep or ""),
        )
        .values(revoked_at=now or utcnow())
    )


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    current_token: str | None,
    now: datetime | None = None,
) -> None:
    if not passwords.verify_password(user.password_hash, current, user):
        raise InvalidInput(_l("Your current password is not right."), "current_password")
    check_password(new, "new_password")
    user.password_hash = passwords.hash_password(new, user)
    # Other browsers signed in as this user are signed out.
    end_all_sessions(session, user, except_token=current_token, now=now)
    audit.record(session, user, "account.password_changed", "user", user.id, now=now)


def set_language(session: Session, user: User, language: str, now: datetime | None = None) -> None:
    """Keep the person's choice of language on their account."""
    if language not in LANGUAGES:
        raise InvalidInput(_l("Choose one of the languages offered."), "language")
    if user.language != language:
        user.language = language
        audit.record(session, user, "account.language", "user", user.id, {"to": language}, now=now)


def invite(
    session: Session,
    actor: User,
    *,
    full_name: str,
    email: str,
    member_number: str | None,
    roles: set[Role],
    language: str | None = None,
    now: datetime | None = None,
) -> User:
    """An administrator creates an account; the person is mailed a one-time link that sets
    their password (and so confirms their address)."""
    from portal.services import duties
    from portal.services.access import require_role

    require_role(actor, Role.ADMIN)
    email, email_key = normalise_email(email)
    number = normalise_member_number(member_number)
    _ensure_unique(session, email_key, number)
    if not full_name.strip():
        raise InvalidInput(_l("Enter the person's full name."), "full_name")
    duties.check_roles(session, None, roles)
    user = User(
        email=email,
        email_key=email_key,
        full_name=full_name.strip(),
        member_number=number,
        # The administrator's choice for the invitation; the person may change it.
        language=language if language in LANGUAGES else None,
    )
    user.set_roles(roles or {Role.MEMBER})
    session.add(user)
    session.flush()
    account_links.send_invitation(session, user, now=now)
    audit.record(session, actor, "account.invited", "user", user.id, now=now)
    return user


def request_password_reset(session: Session, email: str, now: datetime | None = None) -> None:
    """Mail a reset link if an active account has this address; nothing otherwise. The
    caller answers both alike (and as slowly), so the form never tells who has an account."""
    try:
        _, key = normalise_email(email)
    except InvalidInput:
        return
    user = session.scalar(sa.select(User).where(User.email_key == key))
    if user is not None and user.active:
        account_links.send_reset(session, user, now=now)


def create_administrator(
    session: Session, *, full_name: str, email: str, password: str, now: datetime | None = None
) -> User:
    """The first administrator of a new installation (from the command line)."""
    email, email_key = normalise_email(email)
    _ensure_unique(session, email_key, None)
    if not full_name.strip():
        raise InvalidInput(_l("Enter the administrator's full name."), "full_name")
    check_password(password)
    user = User(
        email=email,
        email_key=email_key,
        full_name=full_name.strip(),
    )
    user.set_roles({Role.ADMIN})
    user.email_confirmed_at = now or utcnow()  # the operator typed it on the server
    session.add(user)
    session.flush()
    user.password_hash = passwords.hash_password(password, user)
    audit.record(session, None, "account.admin_created", "user", user.id, now=now)
    return user
