"""The case queue: filters, SLA states in SQL, pages that neither skip nor repeat a case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.db import utcnow
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.services import queue
from tests.factories import make_case, make_policy_committees, make_user, seat


@pytest.fixture
def setting(app, session):  # type: ignore[no-untyped-def]
    committees = make_policy_committees(session, app.extensions["portal.policies"])
    reviewer = make_user(session, Role.REVIEWER, name="Rita Reviewer")
    chair = make_user(session, Role.CHAIR, name="Carl Chair")
    seat(session, committees["member-services"], reviewer)
    seat(session, committees["member-services"], chair, Seat.CHAIR)
    member = make_user(session, Role.MEMBER, name="Mia Member")
    return reviewer, chair, member


def test_pages_cover_every_case_once_in_due_order(app, session, setting):
    reviewer, _chair, member = setting
    start = utcnow() - timedelta(days=3)
    made = [
        make_case(app, session, member, now=start + timedelta(minutes=7 * i), subject=f"Case {i}")
        for i in range(30)
    ]
    seen, cursor, pages = [], None, 0
    while True:
        page = queue.queue(session, reviewer, queue.Filters(), cursor)
        seen += [row.case.reference for row in page.rows]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 2 and len(seen) == 30 and set(seen) == {c.reference for c in made}
    dues = [c.first_response_due_at for c in sorted(made, key=lambda c: c.reference)]
    assert dues == sorted(dues)
    assert seen == [
        c.reference for c in sorted(made, key=lambda c: (c.first_response_due_at, c.id))
    ]


def test_filters_and_counts(app, session, setting):
    reviewer, _chair, member = setting
    mine = make_case(app, session, member, subject="Mine")
    mine.assignee_id = reviewer.id
    make_case(app, session, member, subject="Nobody's", category="events")
    session.flush()
    assert [
        r.case.subject for r in queue.queue(session, reviewer, queue.Filters(assignee="mine")).rows
    ] == ["Mine"]
    unassigned = queue.queue(session, reviewer, queue.Filters(assignee="unassigned"))
    assert [r.case.subject for r in unassigned.rows] == ["Nobody's"]
    events = queue.queue(session, reviewer, queue.Filters(category="events"))
    assert [r.case.subject for r in events.rows] == ["Nobody's"]
    # A week on, both first responses are overdue.
    later = queue.queue(
        session, reviewer, queue.Filters(sla="overdue"), now=utcnow() + timedelta(days=7)
    )
    assert later.total == 2 and later.counts["overdue"] == 2 and later.counts["on_track"] == 0
    with pytest.raises(InvalidInput):
        queue.queue(session, reviewer, queue.Filters(sla="whenever"))


def test_a_chair_sees_unassigned_cases_first(app, session, setting):
    reviewer, chair, member = setting
    # Filed in working hours (a Tuesday morning in London), so the two first responses fall
    # due an hour apart; filed in the evening, both would be due at the next morning's start.
    start = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    first = make_case(app, session, member, now=start, subject="Assigned, due first")
    first.assignee_id = reviewer.id
    make_case(app, session, member, now=start + timedelta(hours=1), subject="Unassigned, due later")
    session.flush()
    chair_view = [r.case.subject for r in queue.queue(session, chair, queue.Filters()).rows]
    assert chair_view == ["Unassigned, due later", "Assigned, due first"]
    reviewer_view = [r.case.subject for r in queue.queue(session, reviewer, queue.Filters()).rows]
    assert reviewer_view == ["Assigned, due first", "Unassigned, due later"]


def test_no_seat_no_cases_and_oversight_refused(app, session, setting):
    _reviewer, _chair, member = setting
    make_case(app, session, member)
    outsider = make_user(session, Role.REVIEWER)
    assert queue.queue(session, outsider, queue.Filters()).rows == []
    admin = make_user(session, Role.ADMIN)
    from portal.domain.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        queue.queue(session, admin, queue.Filters())
