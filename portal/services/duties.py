"""Separation of duties: who oversees the portal never handles its cases.

An administrator or auditor cannot also hold a committee role (reviewer, chair) or a
committee seat, in either order, and nobody changes their own roles or seats. Every place
that gives roles or seats (the admin pages, invitations, the command line, the demo data)
asks `check_roles` or `check_seat` first. Data written before these rules existed may still
mix them: `does_casework` treats such an account as having no committee duties at all.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.roles import COMMITTEE_ROLES, OVERSIGHT_ROLES, Role, duties_clash
from portal.i18n import _l
from portal.models.committees import CommitteeMembership, Seat
from portal.models.users import User


def is_seated(session: Session, user: User) -> bool:
    if user.id is None:
        return False
    return bool(
        session.scalar(
            sa.select(CommitteeMembership.user_id)
            .where(CommitteeMembership.user_id == user.id)
            .limit(1)
        )
    )


def check_not_self(actor: User, user: User) -> None:
    if actor.id is not None and actor.id == user.id:
        raise InvalidInput(
            _l("You cannot change your own roles or seats. Ask another administrator."), "roles"
        )


def check_roles(session: Session, user: User | None, roles: set[Role]) -> None:
    """Refuse roles that mix oversight with casework, for this account and its seats."""
    if duties_clash(roles):
        raise InvalidInput(
            _l(
                "An administrator or auditor cannot also be a reviewer or chair, or sit on "
                "the grievance panel. Keep oversight and casework in separate accounts."
            ),
            "roles",
        )
    if user is not None and OVERSIGHT_ROLES & roles and is_seated(session, user):
        raise InvalidInput(
            _l(
                "%(name)s sits on a committee. Remove their committee seats before making "
                "them an administrator or auditor.",
                name=user.full_name,
            ),
            "roles",
        )


def check_seat(user: User) -> None:
    """Refuse a committee seat to an administrator or auditor."""
    if OVERSIGHT_ROLES & user.roles:
        raise InvalidInput(
            _l(
                "%(name)s is an administrator or auditor and cannot sit on a committee.",
                name=user.full_name,
            ),
            "user",
        )


def check_panel(user: User) -> None:
    """Refuse a place on the grievance panel to an administrator or auditor."""
    if OVERSIGHT_ROLES & user.roles:
        raise InvalidInput(
            _l(
                "%(name)s is an administrator or auditor and cannot sit on the grievance panel.",
                name=user.full_name,
            ),
            "email",
        )


def does_casework(user: User | None) -> bool:
    """Whether this account may act for a committee: a committee role and no oversight role.
    An account that holds both (written before the rule) is treated as having no seat."""
    return (
        user is not None
        and user.active
        and bool(COMMITTEE_ROLES & user.roles)
        and not OVERSIGHT_ROLES & user.roles
    )


def chairs_of(session: Session, committee_id: int) -> list[User]:
    """The accounts seated as the committee's chair, with their roles (each is asked
    `does_casework`), in one query: every filing asks."""
    return list(
        session.scalars(
            sa.select(User)
            .join(CommitteeMembership, CommitteeMembership.user_id == User.id)
            .where(
                CommitteeMembership.committee_id == committee_id,
                CommitteeMembership.seat == Seat.CHAIR.value,
            )
            .order_by(User.id)
            .options(joinedload(User.role_rows))
        ).unique()
    )


def require_casework(actor: User | None) -> None:
    if not does_casework(actor):
        raise PermissionDenied(_l("You do not have permission to do that."))
