"""Conflicts of interest: nobody judges a case they filed, are named in, or stepped back from.

A person is conflicted on a case when
- they filed it (the case's member digest is theirs),
- the member named them as a party (a blind index of their email or member number
  stored at filing matches theirs), or
- they declared a conflict on it (a Recusal row).

A conflicted person is kept out of the case everywhere: `excluded_clause` filters the
queue, counts and searches in SQL; `is_conflicted` guards a single case; `declare`
records a recusal.

A chair's duties (triage, assignment, extensions, closing) need a chair who is free to act:
`who_chairs` names the committee's chairs who are, and `hand_on` moves a case that has none
up the ladder to the first level above it where someone other than the committee's chair
acts, so the case never waits for a person who may not touch it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from portal.models.committees import CommitteeMembership, Seat
from portal.models.grievances import Grievance, PartyIndex, Recusal, member_digest
from portal.models.users import User
from portal.policies.types import Ladder, Level
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.services import audit, duties, timeline

# Ladder actors the committee's chairs stand for; a case at a panel level needs no chair.
_CHAIR_LED = ("reviewer", "committee_chair")


def _digests(user: User) -> list[tuple[str, bytes]]:
    root = keys.current().index_root
    found = [("email", blind_index(root, "email", user.email))]
    if user.member_number:
        found.append(("member_number", blind_index(root, "member_number", user.member_number)))
    return found


def _named_clause(user: User, case_id: ColumnElement[object]) -> ColumnElement[bool]:
    return sa.exists().where(
        PartyIndex.grievance_id == case_id,
        sa.or_(*(sa.and_(PartyIndex.kind == k, PartyIndex.digest == d) for k, d in _digests(user))),
    )


def _recused_clause(user: User, case_id: ColumnElement[object]) -> ColumnElement[bool]:
    return sa.exists().where(Recusal.grievance_id == case_id, Recusal.user_id == user.id)


def excluded_clause(user: User) -> ColumnElement[bool]:
    """SQL true for the grievances `user` is conflicted on; negate it to filter lists and counts."""
    return sa.or_(
        Grievance.member_digest == member_digest(user.id),
        _named_clause(user, Grievance.id),
        _recused_clause(user, Grievance.id),
    )


def is_conflicted(session: Session, user: User, case: Grievance) -> bool:
    if case.belongs_to(user):
        return True
    return bool(
        session.scalar(
            sa.select(
                sa.or_(
                    _named_clause(user, sa.literal(case.id, sa.Uuid)),
                    _recused_clause(user, sa.literal(case.id, sa.Uuid)),
                )
            )
        )
    )


def conflicted_ids(session: Session, users: list[User], case: Grievance) -> set[int]:
    """Which of `users` are conflicted on `case` (for assignment choices and panels), in two
    queries however many people are asked about."""
    if not users:
        return set()
    found = {u.id for u in users if case.belongs_to(u)}
    owners: dict[tuple[str, bytes], set[int]] = {}
    for user in users:
        for key in _digests(user):
            owners.setdefault(key, set()).add(user.id)
    named = session.execute(
        sa.select(PartyIndex.kind, PartyIndex.digest).where(PartyIndex.grievance_id == case.id)
    ).all()
    for kind, digest in named:
        found |= owners.get((kind, bytes(digest)), set())
    found.update(
        session.scalars(
            sa.select(Recusal.user_id).where(
                Recusal.grievance_id == case.id, Recusal.user_id.in_([u.id for u in users])
            )
        )
    )
    return found


def _chairs(session: Session, case: Grievance) -> list[User]:
    return list(
        session.scalars(
            sa.select(User)
            .join(CommitteeMembership, CommitteeMembership.user_id == User.id)
            .where(
                CommitteeMembership.committee_id == case.committee_id,
                CommitteeMembership.seat == Seat.CHAIR.value,
            )
            .order_by(User.id)
        )
    )


def who_chairs(session: Session, case: Grievance) -> list[User]:
    """The chairs of the case's committee who may act on it: active, doing casework, and
    not conflicted on it. Any of them takes over a conflicted chair's duties."""
    return [
        u
        for u in _chairs(session, case)
        if duties.does_casework(u) and not is_conflicted(session, u, case)
    ]


def hand_on(
    session: Session,
    case: Grievance,
    ladder: Ladder,
    actor: User | None = None,
    now: datetime | None = None,
) -> Level | None:
    """Move an open case up the ladder when every chair of its committee is conflicted on it.

    It goes to the first level above its own whose actor is not the committee's chair (at
    the Seoul and default ladders: the board's grievance panel), recorded as an internal
    event and audited. Returns the new level, or None when nothing had to change: a chair
    is free, the committee has no chair seated yet, the case is already with a panel, or the
    ladder has nowhere higher."""
    current = ladder.levels.get(case.escalation_level)
    if not case.is_open or current is None or current.actor not in _CHAIR_LED:
        return None
    chairs = [u for u in _chairs(session, case) if duties.does_casework(u)]
    conflicted = [u for u in chairs if is_conflicted(session, u, case)]
    if not conflicted or len(conflicted) < len(chairs):
        return None  # a chair is free, or the committee has no chair yet: not a conflict
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
    before, case.escalation_level = case.escalation_level, target.number
    timeline.add_event(
        case,
        "escalated",
        None,
        public=False,
        detail=f"Escalated to level {target.number} ({target.title}): "
        "no chair of the committee is free of a conflict of interest",
        now=now,
    )
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
    ladder: Ladder,
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
    hand_on(session, case, ladder, actor, now)
    audit.record(session, actor, "case.recused", "grievance", case.id, now=now)
    return recusal
