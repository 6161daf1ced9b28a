"""The SLA clock: promised dates counted in the association's working time.

Pure functions; every instant in and out is a timezone-aware datetime (results
in UTC), and the present is always passed in as ``now``.

    working_intervals(start, calendar) -> Iterator[tuple[datetime, datetime]]
        Working periods (UTC) from the working day of `start` onwards.
    clock_start(moment, calendar) -> datetime
        When the clock starts for something filed at `moment` (the next opening
        if it is outside working hours).
    add_working_time(start, amount: timedelta, calendar) -> datetime
        The earliest instant at which `amount` of working time has passed since
        `start` (so 8 hours from Monday 09:00 is Monday 17:00, not Tuesday 09:00).
    working_time_between(start, end, calendar) -> timedelta
        Working time in [start, end); zero if end <= start.
    due_dates(filed_at, priority, calendar) -> tuple[datetime, datetime]
        (first response due, resolution due).
    extend_due(due_at, paused: timedelta, calendar) -> datetime
        A due date pushed back by working time spent paused (awaiting the member).
    extend_for_pause(due_at, paused_from, paused_until, calendar) -> datetime
        The same for one pause; a pause that starts after the due date changes nothing.
    sla_state(started_at, due_at, now, calendar, *, paused=timedelta(0),
              paused_since=None, completed_at=None, due_soon_at=0.75) -> SlaState
        on_track / due_soon (75% of the target used) / breached, or met once completed.

Working time is real elapsed time inside the calendar's local working hours:
on a day when clocks change during working hours, that day holds an hour more
or less. Holidays and non-working days hold none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from portal.policies.types import Calendar, Priority

ZERO = timedelta(0)
# A calendar always has working days, but a long run of holidays could be
# listed; give up (a policy mistake) rather than loop for ever.
MAX_DAYS_SCANNED = 3660


class SlaState(StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET = "met"


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def working_intervals(start: datetime, calendar: Calendar) -> Iterator[tuple[datetime, datetime]]:
    """(opens, closes) in UTC for each working day from `start`'s local day on."""
    start = _aware(start, "start")
    zone = calendar.time_zone
    day = start.astimezone(zone).date()
    for _ in range(MAX_DAYS_SCANNED):
        if calendar.is_working_day(day):
            # fold=0 resolves a wall time skipped or repeated by a clock change
            # the same way every time; the interval is then real elapsed time.
            opens = datetime.combine(day, calendar.opens, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, calendar.closes, tzinfo=zone).astimezone(UTC)
            if closes > opens:
                yield opens, closes
        day += timedelta(days=1)
    raise ValueError(f"no working time in {MAX_DAYS_SCANNED} days: check the calendar")


def clock_start(moment: datetime, calendar: Calendar) -> datetime:
    """`moment` if it is inside working hours, else the next opening."""
    moment = _aware(moment, "moment")
    for opens, closes in working_intervals(moment, calendar):
        if moment < closes:
            return max(moment, opens)
    raise AssertionError("unreachable")  # working_intervals raises first


def add_working_time(start: datetime, amount: timedelta, calendar: Calendar) -> datetime:
    """The earliest instant with `amount` of working time since `start`."""
    start = _aware(start, "start")
    if amount < ZERO:
        raise ValueError("amount must not be negative")
    if amount == ZERO:
        return start
    remaining = amount
    for opens, closes in working_intervals(start, calendar):
        begin = max(opens, start)
        if begin >= closes:
            continue
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable")


def working_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Working time from `start` to `end` (zero if `end` is not after `start`)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    total = ZERO
    if end <= start:
        return total
    for opens, closes in working_intervals(start, calendar):
        if opens >= end:
            break
        begin, finish = max(opens, start), min(closes, end)
        if finish > begin:
            total += finish - begin
    return total


def due_dates(
    filed_at: datetime, priority: Priority, calendar: Calendar
) -> tuple[datetime, datetime]:
    """(first response due, resolution due) for a case filed at `filed_at`."""
    return (
        add_working_time(filed_at, calendar.duration(priority.first_response), calendar),
        add_working_time(filed_at, calendar.duration(priority.resolution), calendar),
    )


def extend_due(due_at: datetime, paused: timedelta, calendar: Calendar) -> datetime:
    """`due_at` pushed back by `paused` working time; never earlier than `due_at`."""
    due_at = _aware(due_at, "due_at")
    if paused <= ZERO:
        return due_at
    return add_working_time(due_at, paused, calendar)


def extend_for_pause(
    due_at: datetime, paused_from: datetime, paused_until: datetime, calendar: Calendar
) -> datetime:
    """The due date after one pause (awaiting the member) from `paused_from` to `paused_until`.

    A pause that begins once the date has passed does not un-breach the case.
    """
    due_at, paused_from = _aware(due_at, "due_at"), _aware(paused_from, "paused_from")
    if paused_from >= due_at:
        return due_at
    return extend_due(due_at, working_time_between(paused_from, paused_until, calendar), calendar)


def sla_state(
    started_at: datetime,
    due_at: datetime,
    now: datetime,
    calendar: Calendar,
    *,
    paused: timedelta = ZERO,
    paused_since: datetime | None = None,
    completed_at: datetime | None = None,
    due_soon_at: float = 0.75,
) -> SlaState:
    """Where a target stands at `now`.

    `due_at` already includes `paused` (finished pauses, see extend_due);
    `paused_since` is an open pause: the clock stands still from then on.
    Completion on or before `due_at` is met; after it, breached.
    """
    started_at, due_at, now = (
        _aware(started_at, "started_at"),
        _aware(due_at, "due_at"),
        _aware(now, "now"),
    )
    if completed_at is not None and _aware(completed_at, "completed_at") <= now:
        return SlaState.MET if completed_at <= due_at else SlaState.BREACHED
    clock = min(now, _aware(paused_since, "paused_since")) if paused_since else now
    if clock > due_at:
        return SlaState.BREACHED
    target = working_time_between(started_at, due_at, calendar) - paused
    used = working_time_between(started_at, clock, calendar) - paused
    if target > ZERO and used >= target * due_soon_at:
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK
