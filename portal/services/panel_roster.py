"""The grievance panel's roster: administrators appoint and remove its members.

The panel (for example members of the board) decides cases at the ladder's
`grievance_panel` level. Being on the roster means holding `Role.PANEL`; which
members sit on one case is decided elsewhere (services/panels.py seats them).
Separation of duties holds here as everywhere (services/duties.py): no
administrator or auditor sits on the panel, and nobody appoints or removes
themselves. Every change is audited.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.domain.errors import InvalidInput, NotFound
from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.grievances import Grievance, PanelSeat
from portal.models.users import User, UserRole
from portal.services import audit, duties
from portal.services.access import require_role
from portal.services.accounts import normalise_email


def roster(session: Session, actor: User) -> list[User]:
    """Everyone holding the panel role, by name (deactivated accounts included, marked)."""
    require_role(actor, Role.ADMIN)
    return list(
        session.scalars(
            sa.select(User)
            .where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == Role.PANEL)))
            .order_by(sa.func.lower(User.full_name), User.id)
        )
    )


def panel_member(session: Session, actor: User, user_id: int) -> User:
    """One member of the roster; NotFound for anyone not on it."""
    require_role(actor, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None or Role.PANEL not in user.roles:
        raise NotFound(_l("That person is not on the grievance panel."))
    return user


def open_seats(session: Session, user: User) -> int:
    """How many open cases `user` sits on the panel of, at the level the case is at now."""
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(PanelSeat)
            .join(Grievance, Grievance.id == PanelSeat.grievance_id)
            .where(
                PanelSeat.user_id == user.id,
                PanelSeat.level == Grievance.escalation_level,
                Grievance.is_open.is_(True),
            )
        )
        or 0
    )


def appoint(session: Session, actor: User, email: str, now: datetime | None = None) -> User:
    """Put the active account with this email address on the grievance panel."""
    require_role(actor, Role.ADMIN)
    _, key = normalise_email(email)
    user = session.scalar(sa.select(User).where(User.email_key == key))
    if user is None:
        raise InvalidInput(_l("No account has this email address."), "email")
    if actor.id == user.id:
        raise InvalidInput(
            _l("You cannot change your own roles or seats. Ask another administrator."), "email"
        )
    if not user.active:
        raise InvalidInput(_l("This account is deactivated."), "email")
    duties.check_panel(user)
    if Role.PANEL in user.roles:
        raise InvalidInput(
            _l("%(name)s is already on the grievance panel.", name=user.full_name), "email"
        )
    roles = set(user.roles) | {Role.PANEL}
    duties.check_roles(session, user, roles)
    user.set_roles(roles)
    session.flush()
    audit.record(session, actor, "panel.appointed", "user", user.id, now=now)
    return user


def remove(session: Session, actor: User, user: User, now: datetime | None = None) -> int:
    """Take `user` off the panel; they leave the panels of the open cases they sit on
    (their seat there ends, so the case's panel can be completed with someone else).
    Returns how many such seats ended. Votes already cast stay on record, but a vote
    counts only while its member still sits on the case (services/panels_vote.py)."""
    require_role(actor, Role.ADMIN)
    duties.check_not_self(actor, user)
    if Role.PANEL not in user.roles:
        raise NotFound(_l("That person is not on the grievance panel."))
    roles = set(user.roles) - {Role.PANEL}
    user.set_roles(roles or {Role.MEMBER})
    open_cases = sa.select(Grievance.id).where(
        Grievance.id == PanelSeat.grievance_id,
        Grievance.escalation_level == PanelSeat.level,
        Grievance.is_open.is_(True),
    )
    seats = list(
        session.scalars(
            sa.select(PanelSeat).where(PanelSeat.user_id == user.id, open_cases.exists())
        )
    )
    for seat in seats:
        session.delete(seat)
    session.flush()
    audit.record(
        session, actor, "panel.removed", "user", user.id, {"seats_ended": len(seats)}, now=now
    )
    return len(seats)
