"""Seating a grievance panel on a case: people who took no part in it.

When a case reaches a `grievance_panel` level of the ladder (by a missed date or the
member's appeal), `seat_panel` chooses `ladder.panel.size` members of the panel roster
(Role.PANEL, see services/panel_roster.py) for it:

- only active accounts that may do casework (services/duties.py);
- nobody conflicted on the case (services/conflicts.py: filed it, named in it, recused);
- nobody who took part in it: its assignee and whoever recorded it, anyone who decided,
  wrote a note or a message, uploaded evidence, extended or linked it, acted on its timeline,
  voted on it or sat on its panel at another level;
- those with the fewest open panel seats first (a seat counts while its case is open and at
  that seat's level), then by account id, so the choice is stable and the load even.

Seating is idempotent and tops up: seats already held at that level stay, and only the
missing ones are filled (after a panel member left the roster, say). When too few people
are available, those who are get seated and an internal event says the panel is short,
so the chair completes it. Who may vote, and the votes, live elsewhere.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.roles import Role
from portal.models.grievances import (
    Attachment,
    CaseEvent,
    CaseExtension,
    CaseLink,
    Decision,
    Grievance,
    InternalNote,
    Message,
    PanelSeat,
    PanelVote,
)
from portal.models.users import User, UserRole
from portal.policies.types import PolicySet
from portal.services import audit, conflicts, duties, notify, timeline

SEATED = "panel.seated"
SHORT = "panel.short"


def participants(session: Session, case: Grievance, level: int) -> set[int]:
    """Ids of everyone who took part in the case so far (metadata only, nothing decrypted)."""
    of_case = [
        sa.select(Decision.decided_by_id).where(Decision.grievance_id == case.id),
        sa.select(InternalNote.author_id).where(InternalNote.grievance_id == case.id),
        sa.select(Message.author_id).where(Message.grievance_id == case.id),
        sa.select(CaseEvent.actor_id).where(CaseEvent.grievance_id == case.id),
        sa.select(Attachment.uploaded_by_id).where(Attachment.grievance_id == case.id),
        sa.select(CaseExtension.by_id).where(CaseExtension.grievance_id == case.id),
        sa.select(CaseLink.by_id).where(
            sa.or_(CaseLink.grievance_id == case.id, CaseLink.linked_id == case.id)
        ),
        sa.select(PanelVote.user_id).where(PanelVote.grievance_id == case.id),
        sa.select(PanelSeat.user_id).where(
            PanelSeat.grievance_id == case.id, PanelSeat.level != level
        ),
    ]
    found = {row for row in session.scalars(sa.union(*of_case)) if row is not None}
    found.update(i for i in (case.assignee_id, case.recorded_by_id) if i is not None)
    return found


def _open_seats() -> sa.ScalarSelect[int]:
    """Per user: panel seats on open cases at the level the case is at now."""
    return (
        sa.select(sa.func.count(PanelSeat.id))
        .join(Grievance, Grievance.id == PanelSeat.grievance_id)
        .where(
            PanelSeat.user_id == User.id,
            PanelSeat.level == Grievance.escalation_level,
            Grievance.is_open.is_(True),
        )
        .scalar_subquery()
    )


def candidates(session: Session, case: Grievance, level: int) -> list[User]:
    """Panel members who could sit on the case at `level`, least busy first."""
    excluded = participants(session, case, level)
    held = sa.select(PanelSeat.user_id).where(
        PanelSeat.grievance_id == case.id, PanelSeat.level == level
    )
    stmt = (
        sa.select(User)
        .where(
            User.active.is_(True),
            User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == Role.PANEL.value)),
            User.id.not_in(held),
        )
        .order_by(_open_seats(), User.id)
    )
    if excluded:
        stmt = stmt.where(User.id.not_in(excluded))
    return [
        user
        for user in session.scalars(stmt)
        if duties.does_casework(user) and not conflicts.is_conflicted(session, user, case)
    ]


def seats_at(session: Session, case: Grievance, level: int) -> list[PanelSeat]:
    return list(
        session.scalars(
            sa.select(PanelSeat)
            .where(PanelSeat.grievance_id == case.id, PanelSeat.level == level)
            .order_by(PanelSeat.seated_at, PanelSeat.id)
        )
    )


def seat_panel(
    session: Session,
    case: Grievance,
    level: int,
    policies: PolicySet,
    now: datetime | None = None,
) -> list[PanelSeat]:
    """Fill the panel of `case` at `level` up to the policy's size; the seats it now has."""
    now = now or utcnow()
    size = policies.ladder.panel.size
    seats = seats_at(session, case, level)
    missing = size - len(seats)
    if missing <= 0:
        return seats
    chosen = candidates(session, case, level)[:missing]
    for user in chosen:
        seat = PanelSeat(grievance_id=case.id, level=level, user_id=user.id, seated_at=now)
        seat.user = user
        session.add(seat)
        seats.append(seat)
    if chosen:
        notify.panel_seated(session, case, chosen, level, now)
        names = ", ".join(u.full_name for u in chosen)
        timeline.add_event(
            case,
            SEATED,
            None,
            public=False,
            detail=f"Seated on the panel at level {level}: {names}",
            now=now,
        )
    if len(seats) < size:
        timeline.add_event(
            case,
            SHORT,
            None,
            public=False,
            detail=(
                f"The panel at level {level} has {len(seats)} of {size} members: not enough "
                "people who took no part in the case are available. The chair must complete it."
            ),
            now=now,
        )
    audit.record(
        session,
        None,
        "case.panel_seated",
        "grievance",
        case.id,
        {
            "level": level,
            "seated": [u.id for u in chosen],
            "size": size,
            "short": len(seats) < size,
        },
        now=now,
    )
    return seats
