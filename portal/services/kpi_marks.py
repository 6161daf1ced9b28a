"""What a case records for the dashboard when something happens to it.

Working hours cannot be counted in SQL (holidays, opening hours, clock changes), so they are
counted once, here, with the policy set's calendar, when the first response is given and when
the first decision is made, and stored on the case beside whether the promise was kept then.
An appeal later sets new dates; the first decision's measures stay what they were. The daily
ledger (models/kpi_ledger.py) follows these columns on the next flush.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.domain import sla
from portal.domain.measures import REPEAT_WINDOW, hours
from portal.models.grievances import Grievance
from portal.policies.types import Calendar


def local_day(moment: datetime, calendar: Calendar) -> date:
    return moment.astimezone(calendar.time_zone).date()


def filed(session: Session, case: Grievance, calendar: Calendar) -> None:
    """At filing: the day in the association's time zone, and whether the same member filed a
    grievance of this kind in the 90 days before (their digests compared in SQL)."""
    case.filed_on = local_day(case.submitted_at, calendar)
    case.is_repeat = repeats_recent(session, case)


def repeats_recent(session: Session, case: Grievance) -> bool:
    with session.no_autoflush:  # the new case itself need not be written for this
        earlier = session.scalar(
            sa.select(Grievance.id)
            .where(
                Grievance.member_digest == case.member_digest,
                Grievance.category == case.category,
                Grievance.id != case.id,
                Grievance.submitted_at <= case.submitted_at,
                Grievance.submitted_at >= case.submitted_at - REPEAT_WINDOW,
            )
            .limit(1)
        )
    return earlier is not None


def settle(case: Grievance, calendar: Calendar) -> None:
    """Count whatever the case has reached and not yet measured: the first response, the
    first decision. Calling it again changes nothing."""
    if case.first_response_at is not None and case.first_response_hours is None:
        case.first_response_hours = hours(
            sla.working_time_between(case.submitted_at, case.first_response_at, calendar)
        )
        case.first_response_met = case.first_response_at <= case.first_response_due_at
    if case.resolved_at is not None and case.resolution_hours is None:
        # The member's waiting is not the committee's time (paused_seconds is working time).
        worked = sla.working_time_between(case.submitted_at, case.resolved_at, calendar)
        case.resolution_hours = max(hours(worked) - case.paused_seconds / 3600, 0.0)
        case.resolution_met = case.resolved_at <= case.resolution_due_at


def escalated(case: Grievance, now: datetime) -> None:
    """The case climbed the ladder (for a reason other than an appeal): the first time counts."""
    if case.escalated_at is None:
        case.escalated_at = now
