"""Triage on the committee side: a case's category, priority and assignee.

The committee's chair triages (Standing.is_chair); a reviewer may only take an unassigned case
for themselves. Triage happens on open cases only. Every change is audited and lands on the
timeline: the member reads a change of kind or priority (with the chair's reason) and that a
reviewer was assigned, never who; the committee reads who.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.db import utcnow
from portal.domain import sla, workflow
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.i18n import _l
from portal.models.committees import Committee, CommitteeMembership
from portal.models.grievances import Grievance
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import audit, conflicts, duties, notify, timeline
from portal.services.casefile import Standing

MAX_REASON = 2000  # why the priority changed; the member reads it


def may_triage(standing: Standing, case: Grievance) -> bool:
    """The chair of the case's committee, on an open case."""
    return standing.is_chair and case.is_open


def may_take(standing: Standing, case: Grievance) -> bool:
    """A reviewer (or chair) of the committee may take an open, unassigned case for themselves."""
    return standing.seat is not None and case.is_open and case.assignee_id is None


def _check_triage(standing: Standing, case: Grievance) -> None:
    if not standing.is_chair:
        raise PermissionDenied(_l("Only the committee's chair can triage this grievance."))
    _check_open(case)


def _check_open(case: Grievance) -> None:
    if not case.is_open:
        raise InvalidInput(
            _l(
                "This grievance is “%(status)s”, so it cannot be triaged.",
                status=workflow.info(case.status).label,
            )
        )


# --- assignee -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    user_id: int
    name: str
    seat: str  # "reviewer" or "chair"


def assignable(session: Session, case: Grievance) -> list[Choice]:
    """Who may be given the case: reviewers and chairs of its committee who do casework and
    are not conflicted on it, by name."""
    seats = session.scalars(
        sa.select(CommitteeMembership)
        .where(CommitteeMembership.committee_id == case.committee_id)
        .options(selectinload(CommitteeMembership.user).selectinload(User.role_rows))
    ).all()
    people = [m for m in seats if duties.does_casework(m.user)]
    excluded = conflicts.conflicted_ids(session, [m.user for m in people], case)
    found = [
        Choice(m.user.id, m.user.full_name, m.seat) for m in people if m.user.id not in excluded
    ]
    return sorted(found, key=lambda c: (c.name.casefold(), c.user_id))


def assign(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    user_id: int | None,
    now: datetime | None = None,
) -> User:
    """The chair gives the case to one of `assignable`."""
    _check_triage(standing, case)
    chosen = next((c for c in assignable(session, case) if c.user_id == user_id), None)
    if chosen is None:
        raise InvalidInput(
            _l("Choose a reviewer of this committee who is not involved in the case."), "assignee"
        )
    if case.assignee_id == chosen.user_id:
        raise InvalidInput(_l("The grievance is already assigned to them."), "assignee")
    assignee = session.get(User, chosen.user_id)
    assert assignee is not None
    _give(session, actor, case, assignee, now or utcnow())
    return assignee


def take(
    session: Session, actor: User, case: Grievance, standing: Standing, now: datetime | None = None
) -> None:
    """A reviewer takes an unassigned case for themselves ("Assign to me")."""
    if standing.seat is None:
        raise PermissionDenied(_l("Only a reviewer of this committee can take the grievance."))
    _check_open(case)
    if case.assignee_id is not None:
        raise InvalidInput(
            _l("Someone has been assigned to this grievance already. The page shows who.")
        )
    if not any(c.user_id == actor.id for c in assignable(session, case)):
        raise PermissionDenied(_l("You cannot take this grievance."))
    _give(session, actor, case, actor, now or utcnow())


def _give(session: Session, actor: User, case: Grievance, assignee: User, now: datetime) -> None:
    before = case.assignee_id
    case.assignee_id = assignee.id
    case.assignee = assignee
    detail = f"Assigned to {assignee.full_name}"
    timeline.add_event(case, "assigned", actor, public=False, detail=detail, now=now)
    timeline.add_event(
        case, "reviewer_assigned", actor, detail="A reviewer has been assigned", now=now
    )
    notify.case_assigned(session, case, assignee, actor, now)
    action = "case.assigned" if before is None else "case.reassigned"
    audit.record(
        session,
        actor,
        action,
        "grievance",
        case.id,
        {"from": before, "to": assignee.id},
        now=now,
    )


# --- category -------------------------------------------------------------------------------


def change_category(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    category: str,
    policies: PolicySet,
    now: datetime | None = None,
) -> bool:
    """Give the case another kind; when that kind belongs to another committee the case moves
    there, unassigned, and leaves this committee's queue. Returns whether it moved."""
    _check_triage(standing, case)
    spec = policies.categories.get(category)
    if spec is None:
        raise InvalidInput(_l("Choose one of the kinds of grievance shown."), "category")
    if category == case.category:
        raise InvalidInput(_l("The grievance already has that kind."), "category")
    committee = session.scalar(sa.select(Committee).where(Committee.slug == spec.committee))
    if committee is None:
        raise InvalidInput(
            _l("That kind's committee is not set up yet; ask an administrator."), "category"
        )
    now = now or utcnow()
    before, before_committee = case.category, case.committee
    case.category = category
    moved = committee.id != case.committee_id
    detail = f"Category changed from {before} to {category}"
    if moved:
        case.committee_id, case.committee = committee.id, committee
        case.assignee_id, case.assignee = None, None
        detail += f"; passed to the {committee.slug} committee"
    timeline.add_event(case, "category", actor, detail=detail, now=now)
    if moved:
        notify.new_case(session, case, now)
    audit.record(
        session,
        actor,
        "case.category_changed",
        "grievance",
        case.id,
        {
            "from": before,
            "to": category,
            **(
                {"committee_from": before_committee.slug, "committee_to": committee.slug}
                if moved
                else {}
            ),
        },
        now=now,
    )
    return moved


# --- priority -------------------------------------------------------------------------------


def recomputed_due_dates(
    case: Grievance, priority: str, policies: PolicySet
) -> tuple[datetime, datetime]:
    """Both promised dates as the policy gives them for `priority`, counted from when the case
    was received, and the decision date pushed back again by the working time already spent
    paused (awaiting the member) and by the chair's extensions."""
    calendar = policies.calendar
    first, resolution = sla.due_dates(case.submitted_at, policies.priorities[priority], calendar)
    kept = timedelta(seconds=case.paused_seconds)
    for extension in case.extensions:
        kept += sla.working_time_between(extension.from_due_at, extension.to_due_at, calendar)
    return first, sla.extend_due(resolution, kept, calendar)


def change_priority(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    priority: str,
    reason: str,
    policies: PolicySet,
    now: datetime | None = None,
) -> None:
    """Another priority, with the reason the member reads; both due dates are recomputed."""
    _check_triage(standing, case)
    reason = reason.strip()
    problems: list[tuple[str | None, str]] = []
    if priority not in policies.priorities:
        problems.append(("priority", _l("Choose one of the priorities shown.")))
    elif priority == case.priority:
        problems.append(("priority", _l("The grievance already has that priority.")))
    if not reason:
        problems.append(("reason", _l("Say why the priority changes; the member reads it.")))
    elif len(reason) > MAX_REASON:
        problems.append(
            ("reason", _l("Please keep this under %(max)d characters.", max=MAX_REASON))
        )
    if problems:
        raise InvalidInput.of(problems)
    now = now or utcnow()
    before = case.priority
    old_dates = (case.first_response_due_at, case.resolution_due_at)
    case.priority = priority
    case.first_response_due_at, case.resolution_due_at = recomputed_due_dates(
        case, priority, policies
    )
    case.due_soon_marked_at = None  # the pending promise changed: the sweep judges it afresh
    if old_dates != (case.first_response_due_at, case.resolution_due_at):
        notify.dates_moved(session, case, now)
    timeline.add_event(
        case,
        "priority",
        actor,
        detail=f"Priority changed from {before} to {priority}: {reason}",
        now=now,
    )
    audit.record(
        session,
        actor,
        "case.priority_changed",
        "grievance",
        case.id,
        {
            "from": before,
            "to": priority,
            "first_response_due": [
                d.isoformat() for d in (old_dates[0], case.first_response_due_at)
            ],
            "resolution_due": [d.isoformat() for d in (old_dates[1], case.resolution_due_at)],
        },
        now=now,
    )
