"""The two promises of a case, where each stands now, and whether one was missed.

A case owes a first response by `first_response_due_at` (until `first_response_at` is set)
and a decision by `resolution_due_at`. The decision clock runs from the filing, or from the
member's appeal once there is one (an appeal is a new promise, counted from `appealed_at`).
Time spent waiting on the member has already moved `resolution_due_at` (cases.resume_clock)
and is counted in `paused_seconds`; while the case waits (a paused status) the clock stands.

Pure reads of the case's metadata: nothing here decrypts or touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from portal.domain import sla, workflow
from portal.models.grievances import Grievance
from portal.policies.types import Calendar

# The share of a target used up when it counts as due soon (as sla.sla_state's default).
DUE_SOON_AT = 0.75


class Target(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class Pending:
    target: Target
    due_at: datetime
    state: sla.SlaState


def is_paused(case: Grievance) -> bool:
    """Whether the clock stands still (the committee is waiting on the member)."""
    return workflow.info(case.status).clock_paused


def resolution_started_at(case: Grievance) -> datetime:
    return case.appealed_at or case.submitted_at


def first_response_state(case: Grievance, now: datetime, calendar: Calendar) -> sla.SlaState:
    return sla.sla_state(
        case.submitted_at,
        case.first_response_due_at,
        now,
        calendar,
        completed_at=case.first_response_at,
        due_soon_at=DUE_SOON_AT,
    )


def resolution_state(case: Grievance, now: datetime, calendar: Calendar) -> sla.SlaState:
    # After an appeal the waits before it belong to the first decision's clock, not this one.
    # (A wait during the appeal then counts on both sides of the ratio, which can only bring
    # "due soon" a little earlier.)
    paused = timedelta(0) if case.appealed_at else timedelta(seconds=case.paused_seconds)
    return sla.sla_state(
        resolution_started_at(case),
        case.resolution_due_at,
        now,
        calendar,
        paused=paused,
        paused_since=case.paused_at if is_paused(case) else None,
        due_soon_at=DUE_SOON_AT,
    )


def pending(case: Grievance, now: datetime, calendar: Calendar) -> Pending | None:
    """The promise the committee must keep next, or None for a closed or waiting case."""
    if not case.is_open or is_paused(case):
        return None
    if case.first_response_at is None:
        return Pending(
            Target.FIRST_RESPONSE,
            case.first_response_due_at,
            first_response_state(case, now, calendar),
        )
    return Pending(Target.RESOLUTION, case.resolution_due_at, resolution_state(case, now, calendar))


def date_missed(case: Grievance, now: datetime) -> bool:
    """Whether a promised date has passed: a breach the sweep recorded, a first response
    given late, or a due date behind us while the clock runs."""
    if case.first_response_breached_at or case.resolution_breached_at:
        return True
    if case.first_response_at is not None and case.first_response_at > case.first_response_due_at:
        return True
    if is_paused(case):
        return False
    if case.first_response_at is None and case.first_response_due_at < now:
        return True
    return case.resolution_due_at < now
