"""Working a case on the committee side: internal notes, messages to the member, and asking
the member for information.

The caller has opened the case with `casefile.committee_case` (so the actor may reach it);
these functions check the rest. The first message or request the committee sends is the
first response the policy promised: it stops that clock, and moves a case still waiting
for the committee into review. A request for information pauses the clock until the member
replies (`cases.send_message` resumes it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain import workflow
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.workflow import Status
from portal.i18n import _l
from portal.models.grievances import Grievance, InternalNote, Message
from portal.models.users import User
from portal.policies.types import Calendar
from portal.services import audit, casefile, kpi_marks, notify, timeline
from portal.services.casefile import Standing

MAX_NOTE = 10000
MAX_MESSAGE = 10000


def _check_standing(standing: Standing) -> None:
    if not standing.movers:
        raise PermissionDenied(_l("You do not work on this grievance."))


def _check_open(case: Grievance) -> None:
    if not case.is_open:
        raise InvalidInput(
            _l(
                "This grievance is “%(status)s”, so it cannot be changed.",
                status=workflow.info(case.status).label,
            )
        )


def _text(value: str, field: str, limit: int, empty: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(empty, field)
    if len(value) > limit:
        raise InvalidInput(_l("Please keep this under %(max)d characters.", max=limit), field)
    return value


# --- moves through the workflow ---------------------------------------------------------------


def route(standing: Standing, current: str, target: Status) -> list[Status]:
    """The moves that take a case from `current` to `target` for this person: straight there
    when the workflow allows it, else through "under review" (a case still waiting for the
    committee, back from the member, reopened or appealed is taken up first). Empty when
    neither way is open, or when the case is there already."""
    if current == target:
        return []
    if standing.can(current, target):
        return [target]
    via = Status.UNDER_REVIEW
    if current != via and standing.can(current, via) and standing.can(via, target):
        return [via, target]
    return []


def walk(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    steps: list[Status],
    now: datetime,
) -> None:
    """Make each move of `route`, as whichever of the person's movers the workflow lets."""
    for target in steps:
        mover = next(
            m for m in sorted(standing.movers) if workflow.can_move(case.status, target, m)
        )
        timeline.move(session, case, target, mover, actor, now=now)


def _first_response(case: Grievance, now: datetime, calendar: Calendar | None) -> bool:
    """Stop the first-response clock, once; whether this was the first response. Its working
    hours are counted now with `calendar`; a caller without one leaves them to the decision
    (kpi_marks.settle) or to `flask kpis rebuild`."""
    if case.first_response_at is not None:
        return False
    case.first_response_at = now
    case.due_soon_marked_at = None  # the decision date is the pending promise now
    if calendar is not None:
        kpi_marks.settle(case, calendar)
    return True


# --- internal notes -----------------------------------------------------------------------


def add_note(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    body: str,
    now: datetime | None = None,
) -> InternalNote:
    """A note only the committee reads, encrypted under the case's key. Allowed on a closed
    case too: the committee may need to note what happened afterwards."""
    _check_standing(standing)
    body = _text(body, "body", MAX_NOTE, _l("Write the note before saving it."))
    now = now or utcnow()
    note = InternalNote(author=actor, created_at=now)
    case.notes.append(note)
    note.body = body
    case.last_activity_at = now
    audit.record(session, actor, "case.note_added", "grievance", case.id, now=now)
    return note


def notes(session: Session, case: Grievance) -> list[InternalNote]:
    """The case's notes, newest first, their authors loaded in one query (not one per note)."""
    casefile.load_people(session, {n.author_id for n in case.notes})
    return sorted(case.notes, key=lambda n: n.created_at, reverse=True)


# --- messages to the member ---------------------------------------------------------------


def _message(case: Grievance, actor: User, body: str, now: datetime) -> Message:
    message = Message(grievance=case, author=actor, from_member=False, sent_at=now)
    message.body = body
    return message


def send_reply(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    body: str,
    response: str | None = None,
    now: datetime | None = None,
    calendar: Calendar | None = None,
) -> Message:
    """A message from the committee to the member (`response`: the canned response it started
    from, for the audit log). The first one is the first response."""
    _check_standing(standing)
    _check_open(case)
    body = _text(body, "body", MAX_MESSAGE, _l("Write the message before sending it."))
    now = now or utcnow()
    message = _message(case, actor, body, now)
    session.add(message)
    first = _first_response(case, now, calendar)
    timeline.add_event(
        case, "committee_message", actor, detail="The committee sent you a message", now=now
    )
    # A case still waiting for the committee is now being looked at.
    if (
        first
        and case.status == Status.ACKNOWLEDGED
        and standing.can(case.status, Status.UNDER_REVIEW)
    ):
        walk(session, actor, case, standing, [Status.UNDER_REVIEW], now)
    notify.committee_wrote(session, case, now)
    audit.record(
        session,
        actor,
        "case.message_sent",
        "grievance",
        case.id,
        {"response": response or None, "first_response": first},
        now=now,
    )
    return message


def may_request_information(standing: Standing, case: Grievance) -> bool:
    return case.is_open and bool(route(standing, case.status, Status.AWAITING_MEMBER))


def request_information(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    body: str,
    response: str | None = None,
    now: datetime | None = None,
    calendar: Calendar | None = None,
) -> Message:
    """Ask the member for information: the message, the case waiting for the member and the
    clock paused from now until they reply. It counts as the first response."""
    _check_standing(standing)
    _check_open(case)
    body = _text(
        body, "body", MAX_MESSAGE, _l("Write what you need from the member before sending it.")
    )
    steps = route(standing, case.status, Status.AWAITING_MEMBER)
    if not steps:
        raise InvalidInput(
            _l(
                "This grievance is “%(status)s”, so the member cannot be asked for "
                "information now.",
                status=workflow.info(case.status).label,
            )
        )
    now = now or utcnow()
    message = _message(case, actor, body, now)
    session.add(message)
    first = _first_response(case, now, calendar)
    # The moves first, so the timeline reads "Waiting for your reply" and then what the
    # committee asked (as a decision reads "Decided" and then the outcome).
    walk(session, actor, case, standing, steps, now)
    timeline.add_event(
        case,
        "information_requested",
        actor,
        detail="The committee asked you for more information",
        now=now,
    )
    case.paused_at = now
    notify.information_requested(session, case, now)
    audit.record(
        session,
        actor,
        "case.information_requested",
        "grievance",
        case.id,
        {"response": response or None, "first_response": first},
        now=now,
    )
    return message
