"""Stepping back from a case, and a conflicted chair's duties passing on.

Anyone who can open a case may declare a conflict on it (`declare`): from then on the case
is closed to them (services/conflicts.py) and, if they handled it, it is unassigned.

A chair's duties (triage, assignment, extensions, closing) need a chair who is free to act:
`who_chairs` names the committee's chairs who are. When every seated chair is conflicted,
`hand_on` moves the case to the first level above its own whose actor is not the
committee's chair, seating the grievance panel when that level has one, so the case never
waits for a person who may not touch it. It runs on a declaration, at filing and on a merge.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models.grievances import Grievance, Recusal
from portal.models.users import User
from portal.policies.types import Level, PolicySet
from portal.services import audit, conflicts, duties, panels, timeline

# Ladder actors the committee's chairs stand for; a case at a panel level needs no chair.
_CHAIR_LED = ("reviewer", "committee_chair")


def _chairs(session: Session, case: Grievance, seated: list[User] | None = None) -> list[User]:
    """The committee's chairs who do casework (an inactive or oversight account acts for nobody);
    `seated`: its chairs, when the caller has them already."""
    seated = duties.chairs_of(session, case.committee_id) if seated is None else seated
    return [u for u in seated if duties.does_casework(u)]


def who_chairs(
    session: Session,
    case: Grievance,
    chairs: list[User] | None = None,
    filing: set[tuple[str, bytes]] | None = None,
) -> list[User]:
    """The chairs of the case's committee who may act on it: active, doing casework, and
    not conflicted on it. Any of them takes over a conflicted chair's duties. (`chairs`:
    `duties.chairs_of` the case's committee, when the caller has them already; `filing`:
    the parties indexed for a case being filed, see `conflicts.conflicted_at_filing`.)"""
    chairs = _chairs(session, case, chairs)
    if filing is None:
        out = conflicts.conflicted_ids(session, chairs, case)
    else:
        out = conflicts.conflicted_at_filing(chairs, case, filing)
    return [u for u in chairs if u.id not in out]


def hand_on(
    session: Session,
    case: Grievance,
    policies: PolicySet,
    actor: User | None = None,
    now: datetime | None = None,
    chairs: list[User] | None = None,
    free: list[User] | None = None,
) -> Level | None:
    """Move an open case up the ladder when every chair of its committee is conflicted on it.

    It goes to the first level above its own whose actor is not the committee's chair (on
    the default and Seoul ladders: the board's grievance panel, which is seated), recorded
    as an internal event and audited. Returns the new level, or None when nothing had to
    change: a chair is free, the committee has no chair seated yet, the case is already with
    a panel, or the ladder has nowhere higher. (`chairs`: `duties.chairs_of` the case's
    committee, and `free`: `who_chairs` of them, when the caller has them already.)"""
    ladder = policies.ladder
    current = ladder.levels.get(case.escalation_level)
    if not case.is_open or current is None or current.actor not in _CHAIR_LED:
        return None
    chairs = _chairs(session, case, chairs)
    if not chairs or (who_chairs(session, case, chairs) if free is None else free):
        return None  # no chair seated yet (not a conflict), or one is free to act
    target = next(
        (
            lv
            for lv in ladder.ordered
            if lv.number > case.escalation_level and lv.actor != "committee_chair"
        ),
        None,
    )
    if target is None:
        return None
    now = now or utcnow()
    before, case.escalation_level = case.escalation_level, target.number
    timeline.add_event(
        case,
        "escalated",
        None,
        public=False,
        detail=f"Escalated to level {target.number} ({target.title.in_language('en')}): "
        "no chair of the committee is free of a conflict of interest",
        now=now,
    )
    if target.actor == "grievance_panel":
        panels.seat_panel(session, case, target.number, policies, now)
    audit.record(
        session,
        actor,
        "case.escalated",
        "grievance",
        case.id,
        {"from": before, "to": target.number, "trigger": "chair_conflicted"},
        now=now,
    )
    return target


def declare(
    session: Session,
    actor: User,
    case: Grievance,
    policies: PolicySet,
    now: datetime | None = None,
) -> Recusal:
    """`actor` steps back from `case`; from now on the case is closed to them.

    The caller has already checked that `actor` could reach the case. If `actor` is its
    assignee, the case goes back to the committee's unassigned list; if they were the last
    chair free to act on it, the case climbs the ladder (`hand_on`)."""
    recusal = session.scalar(
        sa.select(Recusal).where(Recusal.grievance_id == case.id, Recusal.user_id == actor.id)
    )
    if recusal is None:
        recusal = Recusal(grievance_id=case.id, user_id=actor.id, **({"at": now} if now else {}))
        session.add(recusal)
    if case.assignee_id == actor.id:
        case.assignee_id = None
    session.flush()  # the recusal counts when hand_on asks who may still chair
    hand_on(session, case, policies, actor, now)
    audit.record(session, actor, "case.recused", "grievance", case.id, now=now)
    return recusal
