"""Plain factory functions for test data. They flush; the test's transaction rolls back."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.roles import Role
from portal.models.committees import Committee, CommitteeMembership, Seat
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.security.passwords import hash_password
from portal.services.committees import sync_from_policy

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def make_user(
    session: Session,
    *roles: Role,
    email: str | None = None,
    name: str | None = None,
    password: str | None = PASSWORD,
    member_number: str | None = None,
    active: bool = True,
    confirmed: bool = True,
) -> User:
    """An account; `confirmed` (the default) as if its address were already confirmed."""
    n = next(_seq)
    email = email or f"person{n}@example.org"
    user = User(
        email=email,
        email_key=email.casefold(),
        full_name=name or f"Person {n}",
        member_number=member_number,
        active=active,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    user.set_roles(set(roles) or {Role.MEMBER})
    session.add(user)
    session.flush()
    if password:
        user.password_hash = hash_password(password, user)
        session.flush()
    return user


def make_committee(session: Session, slug: str = "ethics", name: str | None = None) -> Committee:
    committee = Committee(slug=slug, name=name or slug.replace("-", " ").title(), description="")
    session.add(committee)
    session.flush()
    return committee


def make_policy_committees(session: Session, policies: PolicySet) -> dict[str, Committee]:
    """The committees the policy files name, created the way `flask committees sync` does."""
    sync_from_policy(session, policies)
    session.flush()
    return {c.slug: c for c in session.scalars(sa.select(Committee))}


def seat(session: Session, committee: Committee, user: User, seat: Seat = Seat.REVIEWER) -> None:
    session.add(CommitteeMembership(committee=committee, user=user, seat=seat.value))
    session.flush()


def make_case(app, session: Session, member: User, now=None, files=None, **changes):  # type: ignore[no-untyped-def]
    """A grievance filed by `member` through the intake service (so with its events, audit
    entries and party indexes); `changes` override Filing fields, `files` are Uploads."""
    from portal.services.intake import Filing, file_grievance

    values = {
        "category": "billing",
        "subject": "Charged twice for dues",
        "narrative": "My card was charged twice for the annual dues in March.",
        "people_involved": "The membership office",
        **changes,
    }
    filing = Filing(**values)
    filing.uploads = list(files or [])
    return file_grievance(
        session,
        member,
        member,
        filing,
        app.extensions["portal.policies"],
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
        now=now,
    )
