"""Who is told of what: one function per event, called by the service that makes the change,
in its transaction (so a notification exists exactly when the change does).

The member of a case hears when it is acknowledged, when the committee writes or asks for
information, when its status or level changes, when it is decided and when a promised date
moves. A case recorded for someone without an account goes to the address staff recorded,
if any. Reviewers, chairs and panel members hear of a new case (chairs), an assignment, a case
due soon, a missed date and a panel seat: never about a case they are conflicted on
(services/conflicts.py), and only while they may do casework.

Each recipient with an account gets a notification in the portal; mail goes too unless a
member chose mail for decisions and requests for information only (IMPORTANT). The context
is what a mail may say: the reference, codes and dates. Nothing a person wrote, no names of
parties, and nothing about the member in what the committee receives: a withheld identity
stays withheld because no committee message ever names the member at all.

Templates are templates/mail/<event>.html (portal/mail/render.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.models.grievances import Claimant, Grievance
from portal.models.users import User
from portal.services import conflicts, duties, notifications, outbox

IMPORTANT = frozenset({"decision_made", "information_requested"})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- to the member ----------------------------------------------------------------------


def _to_member(
    session: Session,
    case: Grievance,
    template: str,
    context: Mapping[str, object],
    now: datetime | None,
) -> None:
    values = {"reference": case.reference, **context}
    member_id = case.member_user_id()
    if member_id:
        member = session.get(User, member_id)
        if member is None:
            return
        notifications.add(session, member, template, {**values, "account": True}, now)
        if member.mail_preference != notifications.MAIL_IMPORTANT or template in IMPORTANT:
            outbox.enqueue(
                session,
                to=member,
                template=template,
                context={**values, "account": True},
                language=member.language,
                now=now,
            )
        return
    # Recorded by staff for someone without an account: the address they gave, if any.
    claimant = session.scalar(sa.select(Claimant).where(Claimant.grievance_id == case.id))
    if claimant is not None and claimant.claimed_at is None and claimant.email:
        outbox.enqueue(
            session,
            to=claimant.email,
            template=template,
            context={**values, "account": False},
            language=None,
            now=now,
        )


def case_acknowledged(session: Session, case: Grievance, now: datetime | None = None) -> None:
    _to_member(
        session,
        case,
        "case_acknowledged",
        {
            "committee": case.committee.slug,
            "first_due": _iso(case.first_response_due_at),
            "decision_due": _iso(case.resolution_due_at),
        },
        now,
    )


def committee_wrote(session: Session, case: Grievance, now: datetime | None = None) -> None:
    _to_member(session, case, "committee_wrote", {}, now)


def information_requested(session: Session, case: Grievance, now: datetime | None = None) -> None:
    _to_member(session, case, "information_requested", {}, now)


def status_changed(session: Session, case: Grievance, now: datetime | None = None) -> None:
    _to_member(session, case, "status_changed", {"status": case.status}, now)


def level_changed(session: Session, case: Grievance, why: str, now: datetime | None = None) -> None:
    """`why`: the trigger, "sla_breach", "member_request_after_breach" or "member_appeal"."""
    _to_member(session, case, "level_changed", {"level": case.escalation_level, "why": why}, now)


def decision_made(session: Session, case: Grievance, now: datetime | None = None) -> None:
    _to_member(
        session,
        case,
        "decision_made",
        {"final": case.appeal_due_at is None, "appeal_due": _iso(case.appeal_due_at)},
        now,
    )


def dates_moved(session: Session, case: Grievance, now: datetime | None = None) -> None:
    """A promised date moved (an extension, a new priority): the dates as they are now."""
    first = case.first_response_due_at if case.first_response_at is None else None
    _to_member(
        session,
        case,
        "dates_moved",
        {"first_due": _iso(first), "decision_due": _iso(case.resolution_due_at)},
        now,
    )


# --- to the committee and the panel -------------------------------------------------------


def _chairs(session: Session, case: Grievance) -> list[User]:
    return duties.chairs_of(session, case.committee_id)


def _to_staff(
    session: Session,
    case: Grievance,
    people: Iterable[User | None],
    template: str,
    context: Mapping[str, object],
    now: datetime | None,
    conflicts_checked: bool = False,
) -> list[User]:
    """Tell each of `people` who may do casework and is not conflicted on `case`
    (`conflicts_checked`: none of them is, the caller asked already)."""
    unique: dict[int, User] = {}
    for person in people:
        if person is not None and duties.does_casework(person):
            unique.setdefault(person.id, person)
    excluded = (
        set() if conflicts_checked else conflicts.conflicted_ids(session, [*unique.values()], case)
    )
    told = [p for p in unique.values() if p.id not in excluded]
    values = {"reference": case.reference, **context}
    for person in told:
        notifications.add(session, person, template, values, now)
        outbox.enqueue(
            session,
            to=person,
            template=template,
            context=values,
            language=person.language,
            now=now,
        )
    return told


def _assignee(session: Session, case: Grievance) -> User | None:
    return session.get(User, case.assignee_id) if case.assignee_id else None


def new_case(
    session: Session,
    case: Grievance,
    now: datetime | None = None,
    free: list[User] | None = None,
) -> None:
    """A case arrived at a committee (filed, or moved there): its chairs triage it.
    (`free`: the chairs who may act on it, `recusals.who_chairs`, when the caller asked.)"""
    _to_staff(
        session,
        case,
        _chairs(session, case) if free is None else free,
        "new_case",
        {"committee": case.committee.slug, "first_due": _iso(case.first_response_due_at)},
        now,
        conflicts_checked=free is not None,
    )


def case_assigned(
    session: Session, case: Grievance, assignee: User, actor: User, now: datetime | None = None
) -> None:
    """Someone was given the case; nobody is told of a case they took themselves."""
    if assignee.id != actor.id:
        _to_staff(session, case, [assignee], "case_assigned", {}, now)


def due_soon(
    session: Session, case: Grievance, target: str, due: datetime, now: datetime | None = None
) -> None:
    """`target`: "first_response" or "resolution". The assignee, else the chairs."""
    assignee = _assignee(session, case)
    people = [assignee] if assignee is not None else _chairs(session, case)
    context = {"target": target, "due": _iso(due)}
    if not _to_staff(session, case, people, "due_soon", context, now) and assignee is not None:
        _to_staff(session, case, _chairs(session, case), "due_soon", context, now)


def breached(session: Session, case: Grievance, target: str, now: datetime | None = None) -> None:
    """A promised date was missed: the assignee and the chairs."""
    _to_staff(
        session,
        case,
        [_assignee(session, case), *_chairs(session, case)],
        "breached",
        {"target": target, "level": case.escalation_level},
        now,
    )


def panel_seated(
    session: Session, case: Grievance, seated: Iterable[User], level: int, now: datetime | None
) -> None:
    _to_staff(session, case, seated, "panel_seated", {"level": level}, now)
