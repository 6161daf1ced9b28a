"""Timeline events and status moves, always together with the audit entry."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain import workflow
from portal.domain.workflow import Mover, Status
from portal.models.grievances import CaseEvent, Grievance
from portal.models.users import User
from portal.services import audit


def add_event(
    case: Grievance,
    kind: str,
    actor: User | None,
    *,
    public: bool = True,
    detail: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    now: datetime | None = None,
) -> CaseEvent:
    event = CaseEvent(
        kind=kind,
        actor=actor,
        public=public,
        from_status=from_status,
        to_status=to_status,
        at=now or utcnow(),
    )
    # Events written in one change share `now`; the timeline is ordered by time alone (ids are
    # random), so each later one is a microsecond after the last, and reads in the order written.
    last = max((e.at for e in case.events), default=None)
    if last is not None and event.at <= last and (last - event.at).total_seconds() < 1:
        event.at = last + timedelta(microseconds=1)
    # Appending on the case's side cascades the event into the case's session.
    case.events.append(event)
    # Set even when None: events of one flush with the same columns go in one INSERT.
    event.detail = detail
    case.last_activity_at = event.at
    return event


def move(
    session: Session,
    case: Grievance,
    target: Status,
    mover: Mover,
    actor: User | None,
    *,
    detail: str | None = None,
    now: datetime | None = None,
    by_member: bool = False,
) -> CaseEvent:
    """Change the status as the workflow table allows, with its event and audit entry."""
    event = change_status(case, target, mover, actor, detail=detail, now=now)
    audit_status(session, case, event, actor, now=now, by_member=by_member)
    return event


def change_status(
    case: Grievance,
    target: Status,
    mover: Mover,
    actor: User | None,
    *,
    detail: str | None = None,
    now: datetime | None = None,
) -> CaseEvent:
    """`move` without its audit entry, which `audit_status` records after: for a case being
    filed, whose first status is set before its row is written."""
    workflow.check_move(case.status, target, mover)
    before = case.status
    case.status = target.value
    case.is_open = workflow.info(target).open
    return add_event(
        case, "status", actor, detail=detail, from_status=before, to_status=target.value, now=now
    )


def audit_status(
    session: Session,
    case: Grievance,
    event: CaseEvent,
    actor: User | None,
    *,
    now: datetime | None = None,
    by_member: bool = False,
) -> None:
    audit.record(
        session,
        actor,
        "case.status",
        "grievance",
        case.id,
        {"from": event.from_status, "to": event.to_status},
        now=now,
        by_member=by_member,
    )
