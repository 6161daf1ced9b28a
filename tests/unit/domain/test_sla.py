"""The SLA clock: promised dates in working time, pauses, and due-soon/breach states."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portal.config import ROOT
from portal.domain.sla import (
    SlaState,
    add_working_time,
    clock_start,
    due_dates,
    extend_due,
    extend_for_pause,
    sla_state,
    working_intervals,
    working_time_between,
)
from portal.policies import load_policies
from portal.policies.types import Calendar

POLICIES = load_policies(ROOT / "policies")
CAL = POLICIES.calendar  # Europe/London, Mon-Fri 09:00-17:00, bank holidays 2026-2027
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SEOUL = ZoneInfo("Asia/Seoul")
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
H = timedelta(hours=1)
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def calendar(zone: str = "Europe/London", **changes: object) -> Calendar:
    data: dict[str, object] = {
        "time_zone": zone,
        "working_days": WEEKDAYS,
        "opens": "09:00",
        "closes": "17:00",
        "holidays": [],
    }
    return Calendar.model_validate({**data, **changes})


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def london(*parts: int) -> datetime:
    return at(LONDON, *parts)


# -- table tests ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        pytest.param(
            london(2026, 3, 13, 16, 30), H, london(2026, 3, 16, 9, 30), id="friday-16:30+1h"
        ),
        pytest.param(
            london(2026, 3, 10, 22, 0), H, london(2026, 3, 11, 10, 0), id="filed-at-night"
        ),
        pytest.param(
            london(2026, 3, 10, 7, 0), H, london(2026, 3, 10, 10, 0), id="filed-before-opening"
        ),
        pytest.param(
            london(2026, 3, 14, 12, 0), H, london(2026, 3, 16, 10, 0), id="filed-on-saturday"
        ),
        pytest.param(
            london(2026, 3, 10, 17, 0), H, london(2026, 3, 11, 10, 0), id="filed-at-closing"
        ),
        pytest.param(
            london(2026, 3, 9, 9, 0), 8 * H, london(2026, 3, 9, 17, 0), id="a-day-ends-at-closing"
        ),
        pytest.param(london(2026, 3, 9, 9, 0), 16 * H, london(2026, 3, 10, 17, 0), id="two-days"),
        pytest.param(london(2026, 4, 2, 16, 30), H, london(2026, 4, 7, 9, 30), id="easter-skipped"),
        pytest.param(
            london(2026, 12, 24, 16, 30), H, london(2026, 12, 29, 9, 30), id="christmas-skipped"
        ),
        pytest.param(
            london(2026, 3, 27, 16, 30), H, london(2026, 3, 30, 9, 30), id="clocks-go-forward"
        ),
        pytest.param(
            london(2026, 10, 23, 16, 30), H, london(2026, 10, 26, 9, 30), id="clocks-go-back"
        ),
    ],
)
def test_add_working_time(start: datetime, amount: timedelta, due: datetime) -> None:
    result = add_working_time(start, amount, CAL)
    assert result == due
    assert result.tzinfo is UTC


def test_the_dst_weekends_are_an_hour_shorter_and_longer_in_real_time() -> None:
    spring = add_working_time(datetime(2026, 3, 27, 16, 30, tzinfo=UTC), H, CAL)
    autumn = add_working_time(datetime(2026, 10, 23, 15, 30, tzinfo=UTC), H, CAL)  # 16:30 BST

    assert spring == datetime(2026, 3, 30, 8, 30, tzinfo=UTC)  # 09:30 BST
    assert spring - datetime(2026, 3, 27, 16, 30, tzinfo=UTC) == 64 * H
    assert autumn == datetime(2026, 10, 26, 9, 30, tzinfo=UTC)  # 09:30 GMT
    assert autumn - datetime(2026, 10, 23, 15, 30, tzinfo=UTC) == 66 * H


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 8), 3 * H), (date(2026, 3, 9), 4 * H), (date(2026, 11, 1), 5 * H)],
    ids=["spring-forward", "ordinary", "fall-back"],
)
def test_a_clock_change_inside_working_hours_counts_real_time(day: date, hours: timedelta) -> None:
    # New York changes at 02:00, inside these 01:00-05:00 hours, seven days a week.
    cal = calendar(
        "America/New_York",
        working_days=[*WEEKDAYS, "saturday", "sunday"],
        opens="01:00",
        closes="05:00",
    )
    midnight = datetime.combine(day, time(0), tzinfo=NEW_YORK)

    assert working_time_between(midnight, midnight + timedelta(hours=12), cal) == hours
    assert add_working_time(midnight, hours, cal) == datetime.combine(day, time(5), tzinfo=NEW_YORK)


def test_time_zones_the_calendar_decides_not_the_input() -> None:
    seoul = calendar("Asia/Seoul")
    filed = datetime(2026, 3, 13, 7, 30, tzinfo=UTC)  # Friday 16:30 in Seoul

    assert add_working_time(filed, H, seoul) == at(SEOUL, 2026, 3, 16, 9, 30)
    assert add_working_time(filed.astimezone(NEW_YORK), H, seoul) == at(SEOUL, 2026, 3, 16, 9, 30)
    assert add_working_time(filed, H, CAL) == london(2026, 3, 13, 10, 0)  # 07:30 is before opening


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_time(datetime(2026, 3, 13, 16, 30), H, CAL)


@pytest.mark.parametrize(
    ("filed", "priority", "first", "resolution"),
    [
        (
            london(2026, 3, 9, 10, 15),
            "urgent",
            london(2026, 3, 9, 11, 15),
            london(2026, 3, 11, 10, 15),
        ),
        (
            london(2026, 3, 13, 16, 30),
            "urgent",
            london(2026, 3, 16, 9, 30),
            london(2026, 3, 17, 16, 30),
        ),
        # 15 working days from a Friday noon, across Christmas and New Year.
        (
            london(2026, 12, 18, 12, 0),
            "normal",
            london(2026, 12, 21, 12, 0),
            london(2027, 1, 13, 12, 0),
        ),
    ],
)
def test_due_dates(filed: datetime, priority: str, first: datetime, resolution: datetime) -> None:
    assert due_dates(filed, POLICIES.priorities[priority], CAL) == (first, resolution)


def test_the_clock_starts_at_the_next_opening() -> None:
    assert clock_start(london(2026, 3, 14, 3, 0), CAL) == london(2026, 3, 16, 9, 0)
    assert clock_start(london(2026, 3, 16, 11, 0), CAL) == london(2026, 3, 16, 11, 0)
    assert (
        working_time_between(london(2026, 3, 13, 16, 0), london(2026, 3, 16, 10, 0), CAL) == 2 * H
    )


@pytest.mark.parametrize(
    ("paused_from", "paused_until", "due"),
    [
        pytest.param(
            london(2026, 3, 16, 10), london(2026, 3, 17, 10), london(2026, 3, 17, 12), id="a-day"
        ),
        pytest.param(
            london(2026, 3, 16, 11),
            london(2026, 3, 18, 11),
            london(2026, 3, 18, 12),
            id="past-the-due-date",
        ),
        pytest.param(
            london(2026, 3, 14, 9), london(2026, 3, 15, 20), london(2026, 3, 16, 12), id="a-weekend"
        ),
        pytest.param(
            london(2026, 3, 16, 13),
            london(2026, 3, 17, 13),
            london(2026, 3, 16, 12),
            id="after-the-due-date",
        ),
    ],
)
def test_a_pause_moves_the_due_date_by_its_working_time(
    paused_from: datetime, paused_until: datetime, due: datetime
) -> None:
    assert extend_for_pause(london(2026, 3, 16, 12), paused_from, paused_until, CAL) == due


def test_extend_due_by_accumulated_pauses() -> None:
    assert extend_due(london(2026, 3, 13, 16, 0), 2 * H, CAL) == london(2026, 3, 16, 10, 0)
    assert extend_due(london(2026, 3, 13, 16, 0), timedelta(0), CAL) == london(2026, 3, 13, 16, 0)


# Filed Friday 16:30, urgent: first response due Monday 09:30 (one working hour).
FILED, DUE = london(2026, 3, 13, 16, 30), london(2026, 3, 16, 9, 30)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        pytest.param(london(2026, 3, 13, 16, 40), SlaState.ON_TRACK, id="just-filed"),
        pytest.param(london(2026, 3, 15, 23, 0), SlaState.ON_TRACK, id="weekend-uses-no-time"),
        pytest.param(london(2026, 3, 16, 9, 14), SlaState.ON_TRACK, id="73%"),
        pytest.param(london(2026, 3, 16, 9, 15), SlaState.DUE_SOON, id="75%"),
        pytest.param(london(2026, 3, 16, 9, 30), SlaState.DUE_SOON, id="at-the-due-time"),
        pytest.param(london(2026, 3, 16, 9, 31), SlaState.BREACHED, id="after"),
    ],
)
def test_sla_state_in_working_time(now: datetime, state: SlaState) -> None:
    assert sla_state(FILED, DUE, now, CAL) is state


def test_sla_state_once_completed() -> None:
    later = london(2026, 3, 20, 12)
    assert (
        sla_state(FILED, DUE, later, CAL, completed_at=london(2026, 3, 16, 9, 20)) is SlaState.MET
    )
    assert (
        sla_state(FILED, DUE, later, CAL, completed_at=london(2026, 3, 16, 9, 45))
        is SlaState.BREACHED
    )


def test_an_open_pause_stops_the_clock() -> None:
    state = sla_state(
        FILED, DUE, london(2026, 3, 18, 12), CAL, paused_since=london(2026, 3, 16, 9, 0)
    )
    assert state is SlaState.ON_TRACK  # 30 of 60 minutes used when the pause began


def test_finished_pauses_do_not_count_as_time_used() -> None:
    filed = london(2026, 3, 16, 9, 0)
    due = extend_for_pause(filed + H, london(2026, 3, 16, 9, 10), london(2026, 3, 16, 9, 40), CAL)
    assert due == london(2026, 3, 16, 10, 30)

    paused = 30 * timedelta(minutes=1)
    assert (
        sla_state(filed, due, london(2026, 3, 16, 10, 0), CAL, paused=paused) is SlaState.ON_TRACK
    )
    assert (
        sla_state(filed, due, london(2026, 3, 16, 10, 15), CAL, paused=paused) is SlaState.DUE_SOON
    )


# -- properties -------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 11, 30), timezones=st.just(UTC)
)
amounts = st.integers(min_value=1, max_value=8 * 60 * 20).map(lambda m: timedelta(minutes=m))
calendars = st.builds(
    lambda zone, opens, length, days: calendar(
        zone, opens=f"{opens:02d}:00", closes=f"{opens + length:02d}:30", working_days=days
    ),
    st.sampled_from(
        ["Europe/London", "America/New_York", "Asia/Seoul", "Australia/Sydney", "Asia/Kathmandu"]
    ),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=10),
    st.lists(
        st.sampled_from([*WEEKDAYS, "saturday", "sunday"]), min_size=1, max_size=7, unique=True
    ),
)


def _inside_working_hours(moment: datetime, cal: Calendar) -> bool:
    local_day = moment.astimezone(cal.time_zone).date()
    start = datetime.combine(local_day - timedelta(days=1), time(0), tzinfo=cal.time_zone)
    for opens, closes in working_intervals(start, cal):
        if opens <= moment <= closes:
            return cal.is_working_day(opens.astimezone(cal.time_zone).date())
        if opens > moment:
            return False
    return False


@PROPERTY
@given(instants, amounts)
def test_a_due_date_always_falls_inside_working_hours(start: datetime, amount: timedelta) -> None:
    due = add_working_time(start, amount, CAL)
    local = due.astimezone(LONDON)

    assert CAL.is_working_day(local.date())
    assert CAL.opens <= local.time() <= CAL.closes
    assert due > start
    assert working_time_between(start, due, CAL) == amount


@PROPERTY
@given(instants, amounts, calendars)
def test_a_due_date_falls_inside_working_hours_in_any_calendar(
    start: datetime, amount: timedelta, cal: Calendar
) -> None:
    due = add_working_time(start, amount, cal)

    assert _inside_working_hours(due, cal)
    assert working_time_between(start, due, cal) == amount


@PROPERTY
@given(instants, st.sampled_from(POLICIES.priority_order))
def test_promised_dates_fall_inside_working_hours(filed: datetime, priority: str) -> None:
    first, resolution = due_dates(filed, POLICIES.priorities[priority], CAL)
    assert filed < first <= resolution
    assert _inside_working_hours(first, CAL) and _inside_working_hours(resolution, CAL)


@PROPERTY
@given(
    instants,
    amounts,
    st.integers(min_value=-3 * 24 * 60, max_value=30 * 24 * 60),
    st.integers(min_value=0, max_value=10 * 24 * 60),
    st.integers(min_value=0, max_value=3 * 24 * 60),
)
def test_pausing_never_makes_a_case_due_earlier(
    start: datetime, amount: timedelta, offset: int, length: int, more: int
) -> None:
    due = add_working_time(start, amount, CAL)
    paused_from = start + timedelta(minutes=offset)
    paused_until = paused_from + timedelta(minutes=length)

    extended = extend_for_pause(due, paused_from, paused_until, CAL)
    assert extended >= due
    longer = extend_for_pause(due, paused_from, paused_until + timedelta(minutes=more), CAL)
    assert longer >= extended
    if start <= paused_from < due:  # the clock stood still for exactly the pause's working time
        paused = working_time_between(paused_from, paused_until, CAL)
        assert working_time_between(start, extended, CAL) == amount + paused


@PROPERTY
@given(instants, amounts, st.integers(min_value=0, max_value=40))
def test_a_holiday_never_counts(start: datetime, amount: timedelta, days_later: int) -> None:
    plain = calendar()
    holiday = start.astimezone(LONDON).date() + timedelta(days=days_later)
    assume(holiday.weekday() < 5)  # a holiday on a weekend is refused by the policy
    with_holiday = calendar(holidays=[{"date": holiday, "name": "Test holiday"}])
    day_starts = datetime.combine(holiday, time(0), tzinfo=LONDON)
    day_ends = datetime.combine(holiday + timedelta(days=1), time(0), tzinfo=LONDON)

    due = add_working_time(start, amount, with_holiday)

    assert working_time_between(day_starts, day_ends, with_holiday) == timedelta(0)
    assert due.astimezone(LONDON).date() != holiday
    assert due >= add_working_time(start, amount, plain)
    # The holiday removed exactly the working time it would have held.
    inside = working_time_between(max(start, day_starts), min(due, day_ends), plain)
    assert working_time_between(start, due, plain) == amount + inside
