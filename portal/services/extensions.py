"""Extensions: a chair moves a case's decision date, with a reason the member reads.

The ladder says how often (`max_extensions`; Korea's national complaint portal allows two)
and how far each time (`extension_limit`, working time counted from the current date).
Only a chair of the case's committee who may open the case can do it. The new date is what
the sweep, the queue and the member's page count from from then on; a breach recorded
before stays recorded, and every extension is kept (CaseExtension) with its reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain import sla, workflow
from portal.domain.errors import InvalidInput, NotFound, PermissionDenied
from portal.i18n import _l
from portal.models.grievances import CaseExtension, Grievance
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import audit, casefile, notify, timeline

EXTENDED = "extended"  # the timeline kind; the event's detail is the reason
MAX_REASON = 2000


def extensions_left(case: Grievance, policies: PolicySet) -> int:
    return max(0, policies.ladder.max_extensions - case.extension_count)


def latest_allowed(case: Grievance, policies: PolicySet) -> datetime | None:
    """The furthest the decision date may move in one extension (None: no limit)."""
    limit = policies.ladder.extension_limit
    if limit is None:
        return None
    calendar = policies.calendar
    return sla.add_working_time(case.resolution_due_at, calendar.duration(limit), calendar)


def limit_text(policies: PolicySet) -> str | None:
    limit = policies.ladder.extension_limit
    if limit is None:
        return None
    if limit.unit == "hours":
        return _l("Each move may add at most %(num)d working hours.", num=limit.amount)
    return _l("Each move may add at most %(num)d working days.", num=limit.amount)


def _new_date(
    case: Grievance, policies: PolicySet, days: int | None, new_due_at: datetime | None
) -> tuple[datetime, str]:
    """The date asked for, and the field that asked for it."""
    calendar = policies.calendar
    if new_due_at is not None:
        if new_due_at.tzinfo is None:
            raise InvalidInput(_l("Give the new date with its time zone."), "new_due_at")
        return new_due_at, "new_due_at"
    if days is None:
        raise InvalidInput(_l("Say how many working days to add."), "days")
    if days < 1:
        raise InvalidInput(_l("Add at least one working day."), "days")
    if days > 250:  # a year of working days: certainly a typing mistake
        raise InvalidInput(_l("That is more than a year of working days."), "days")
    due = sla.add_working_time(case.resolution_due_at, days * calendar.day_length, calendar)
    return due, "days"


def extend(
    session: Session,
    chair: User,
    case: Grievance,
    reason: str,
    policies: PolicySet,
    *,
    days: int | None = None,
    new_due_at: datetime | None = None,
    now: datetime | None = None,
) -> CaseExtension:
    """Move the decision date by `days` working days (or to `new_due_at`), with `reason`."""
    now = now or utcnow()
    standing = casefile.reachable(session, chair, case)
    if standing is None:
        raise NotFound(casefile.NOT_FOUND)
    if not standing.is_chair:
        raise PermissionDenied(
            _l("Only a chair of this grievance's committee can move its decision date.")
        )
    if not case.is_open:
        label = workflow.info(case.status).label
        raise InvalidInput(
            _l(
                "This grievance is “%(status)s”; its decision date can no longer be moved.",
                status=label,
            )
        )
    ladder = policies.ladder
    if ladder.max_extensions == 0:
        raise InvalidInput(_l("The procedure does not allow moving the decision date."))
    if case.extension_count >= ladder.max_extensions:
        raise InvalidInput(
            _l(
                "The decision date has already been moved %(count)d times, "
                "as many as the procedure allows.",
                count=case.extension_count,
            )
        )
    problems: list[tuple[str | None, str]] = []
    reason = reason.strip()
    if not reason:
        problems.append(("reason", _l("Give the reason the member will read.")))
    elif len(reason) > MAX_REASON:
        problems.append(
            ("reason", _l("Please keep this under %(max)d characters.", max=MAX_REASON))
        )
    try:
        due, field = _new_date(case, policies, days, new_due_at)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    else:
        latest = latest_allowed(case, policies)
        if due <= case.resolution_due_at:
            problems.append((field, _l("The new date must be later than the current one.")))
        elif latest is not None and due > latest:
            problems.append((field, limit_text(policies) or ""))
    if problems:
        raise InvalidInput.of(problems)

    extension = CaseExtension(
        grievance=case, by=chair, at=now, from_due_at=case.resolution_due_at, to_due_at=due
    )
    extension.reason = reason
    session.add(extension)
    case.extension_count += 1
    case.resolution_due_at = due
    if case.first_response_at is not None:
        case.due_soon_marked_at = None  # the new date gets its own warning
    timeline.add_event(case, EXTENDED, chair, detail=reason, now=now)
    notify.dates_moved(session, case, now)
    audit.record(
        session,
        chair,
        "case.extended",
        "grievance",
        case.id,
        {
            "from": extension.from_due_at.isoformat(),
            "to": due.isoformat(),
            "count": case.extension_count,
        },
        now=now,
    )
    return extension
