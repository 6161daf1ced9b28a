"""Committees and their seats."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.domain.errors import InvalidInput, NotFound
from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.committees import Committee, CommitteeMembership, Seat
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import audit, duties
from portal.services.access import require_role


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60]


def list_committees(session: Session, actor: User) -> list[Committee]:
    require_role(actor, Role.ADMIN)
    return list(
        session.scalars(
            sa.select(Committee)
            .options(
                selectinload(Committee.memberships)
                .selectinload(CommitteeMembership.user)
                .selectinload(User.role_rows)
            )
            .order_by(Committee.name)
        )
    )


def get_committee(session: Session, actor: User, committee_id: int) -> Committee:
    require_role(actor, Role.ADMIN)
    # The page lists every seat with its holder: load them together, not one per seat.
    committee = session.scalar(
        sa.select(Committee)
        .where(Committee.id == committee_id)
        .options(
            selectinload(Committee.memberships)
            .selectinload(CommitteeMembership.user)
            .selectinload(User.role_rows)
        )
    )
    if committee is None:
        raise NotFound(_l("There is no such committee."))
    return committee


def save_committee(
    session: Session,
    actor: User,
    *,
    name: str,
    description: str,
    slug: str | None = None,
    committee: Committee | None = None,
    now: datetime | None = None,
) -> Committee:
    require_role(actor, Role.ADMIN)
    name = name.strip()
    if not name:
        raise InvalidInput(_l("Enter the committee's name."), "name")
    clash = session.scalar(
        sa.select(Committee.id).where(
            sa.func.lower(Committee.name) == name.casefold(),
            Committee.id != (committee.id if committee else -1),
        )
    )
    if clash:
        raise InvalidInput(_l("Another committee already has this name."), "name")
    if committee is None:
        slug = slugify(slug or name)
        if not slug:
            raise InvalidInput(_l("Enter a name with letters or digits."), "name")
        if session.scalar(sa.select(Committee.id).where(Committee.slug == slug)):
            raise InvalidInput(_l("Another committee already uses this short name."), "slug")
        committee = Committee(slug=slug, name=name, description=description.strip())
        session.add(committee)
        action = "committee.created"
    else:
        committee.name, committee.description = name, description.strip()
        action = "committee.updated"
    session.flush()
    audit.record(session, actor, action, "committee", committee.id, now=now)
    return committee


def add_member(
    session: Session,
    actor: User,
    committee: Committee,
    user: User,
    seat: Seat,
    now: datetime | None = None,
) -> CommitteeMembership:
    require_role(actor, Role.ADMIN)
    duties.check_not_self(actor, user)
    if not user.active:
        raise InvalidInput(_l("This account is deactivated."), "user")
    duties.check_seat(user)
    membership = session.scalar(
        sa.select(CommitteeMembership).where(
            CommitteeMembership.committee_id == committee.id,
            CommitteeMembership.user_id == user.id,
        )
    )
    if membership is None:
        membership = CommitteeMembership(committee=committee, user=user, seat=seat.value)
        session.add(membership)
    else:
        membership.seat = seat.value
    # A seat needs the matching role to reach the committee's pages.
    role = Role.CHAIR if seat is Seat.CHAIR else Role.REVIEWER
    if role not in user.roles:
        user.set_roles(set(user.roles) | {role})
    session.flush()
    audit.record(
        session,
        actor,
        "committee.seat_set",
        "committee",
        committee.id,
        {"user": user.id, "seat": seat.value},
        now=now,
    )
    return membership


def remove_member(
    session: Session, actor: User, committee: Committee, user_id: int, now: datetime | None = None
) -> None:
    require_role(actor, Role.ADMIN)
    membership = session.scalar(
        sa.select(CommitteeMembership).where(
            CommitteeMembership.committee_id == committee.id,
            CommitteeMembership.user_id == user_id,
        )
    )
    if membership is None:
        raise NotFound(_l("That person is not on this committee."))
    session.delete(membership)
    session.flush()
    audit.record(
        session,
        actor,
        "committee.seat_removed",
        "committee",
        committee.id,
        {"user": user_id},
        now=now,
    )


def committees_of(session: Session, actor: User, user: User) -> list[CommitteeMembership]:
    require_role(actor, Role.ADMIN)
    return list(
        session.scalars(
            sa.select(CommitteeMembership)
            .where(CommitteeMembership.user_id == user.id)
            .options(selectinload(CommitteeMembership.committee))
        )
    )


def find_user_by_email(session: Session, actor: User, email: str) -> User | None:
    require_role(actor, Role.ADMIN)
    from portal.services.accounts import normalise_email

    try:
        _, key = normalise_email(email)
    except InvalidInput:
        return None
    return session.scalar(sa.select(User).where(User.email_key == key))


def sync_from_policy(
    session: Session, policies: PolicySet, now: datetime | None = None
) -> list[str]:
    """Create or rename committees so every committee the policy names exists.

    Run by the operator (`flask committees sync`), not by a person on a page,
    so there is no actor; the audit entry records the system.
    """
    changes = []
    for slug, spec in policies.committees.items():
        committee = session.scalar(sa.select(Committee).where(Committee.slug == slug))
        if committee is None:
            # The row keeps the default-language text; pages read the policy for the others.
            session.add(
                Committee(slug=slug, name=str(spec.name), description=str(spec.description))
            )
            changes.append(f"created {slug}: {spec.name}")
        elif (committee.name, committee.description) != (spec.name, spec.description):
            committee.name, committee.description = str(spec.name), str(spec.description)
            changes.append(f"updated {slug}: {spec.name}")
    session.flush()
    if changes:
        audit.record(
            session,
            None,
            "committee.synced",
            "system",
            "policies",
            {"changes": len(changes)},
            now=now,
        )
    return changes
