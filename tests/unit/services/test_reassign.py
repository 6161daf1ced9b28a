"""Triage by the committee: category (moving committees), priority (dates recomputed), assignee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.domain import sla
from portal.domain.errors import InvalidInput, NotFound, PermissionDenied
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.services import casefile, conflicts, queue, reassign
from tests.factories import make_case, make_policy_committees, make_user, seat

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 10:00 in London, a working day


@pytest.fixture
def people(app, session):  # type: ignore[no-untyped-def]
    committees = make_policy_committees(session, app.extensions["portal.policies"])
    services, ethics = committees["member-services"], committees["ethics"]
    people = {
        "reviewer": make_user(session, Role.REVIEWER, name="Rita Reviewer"),
        "second": make_user(session, Role.REVIEWER, name="Sam Second", email="sam@example.org"),
        "chair": make_user(session, Role.CHAIR, name="Carl Chair"),
        "ethics_chair": make_user(session, Role.CHAIR, name="Erin Ethics"),
        "member": make_user(session, Role.MEMBER, name="Mia Member"),
    }
    seat(session, services, people["reviewer"])
    seat(session, services, people["second"])
    seat(session, services, people["chair"], Seat.CHAIR)
    seat(session, ethics, people["ethics_chair"], Seat.CHAIR)
    return people


def opened(session, user, case):  # type: ignore[no-untyped-def]
    return casefile.committee_case(session, user, case.reference, audit_view=False)


def actions(session, case) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_id == str(case.id))
            .order_by(AuditEntry.id)
        )
    )


def test_assignee_choices_leave_out_a_conflicted_reviewer(app, session, people):
    case = make_case(app, session, people["member"], party_emails=["sam@example.org"])
    names = [c.name for c in reassign.assignable(session, case)]
    assert names == ["Carl Chair", "Rita Reviewer"]
    found, standing = opened(session, people["chair"], case)
    with pytest.raises(InvalidInput):
        reassign.assign(session, people["chair"], found, standing, people["second"].id)
    assert found.assignee_id is None


def test_the_chair_assigns_and_reassigns_with_timeline_and_audit(app, session, people):
    case = make_case(app, session, people["member"])
    found, standing = opened(session, people["chair"], case)
    reassign.assign(session, people["chair"], found, standing, people["reviewer"].id)
    reassign.assign(session, people["chair"], found, standing, people["second"].id)
    assert found.assignee_id == people["second"].id
    internal = [e.detail for e in found.events if e.kind == "assigned"]
    assert internal == ["Assigned to Rita Reviewer", "Assigned to Sam Second"]
    assert all(not e.public for e in found.events if e.kind == "assigned")
    public = [e for e in found.events if e.kind == "reviewer_assigned"]
    assert public and all(e.public and "Sam" not in (e.detail or "") for e in public)
    assert actions(session, case)[-2:] == ["case.assigned", "case.reassigned"]


def test_a_reviewer_cannot_triage_but_can_take_an_unassigned_case(app, session, people):
    case = make_case(app, session, people["member"])
    reviewer = people["reviewer"]
    found, standing = opened(session, reviewer, case)
    with pytest.raises(PermissionDenied):
        reassign.assign(session, reviewer, found, standing, reviewer.id)
    with pytest.raises(PermissionDenied):
        reassign.change_priority(
            session, reviewer, found, standing, "urgent", "why", app.extensions["portal.policies"]
        )
    reassign.take(session, reviewer, found, standing)
    assert found.assignee_id == reviewer.id
    second, standing2 = opened(session, people["second"], case)
    with pytest.raises(InvalidInput):
        reassign.take(session, people["second"], second, standing2)


def test_priority_change_recomputes_from_filing_and_keeps_paused_time(app, session, people):
    policies = app.extensions["portal.policies"]
    calendar = policies.calendar
    case = make_case(app, session, people["member"], now=MONDAY)
    assert case.priority == "normal"
    case.paused_seconds = 3 * 3600  # three working hours already spent awaiting the member
    session.flush()
    found, standing = opened(session, people["chair"], case)
    with pytest.raises(InvalidInput) as refused:
        reassign.change_priority(session, people["chair"], found, standing, "urgent", " ", policies)
    assert refused.value.problems[0][0] == "reason"
    reassign.change_priority(
        session, people["chair"], found, standing, "urgent", "A safety risk", policies
    )
    urgent = policies.priorities["urgent"]
    first, resolution = sla.due_dates(MONDAY, urgent, calendar)
    assert found.first_response_due_at == first
    assert found.resolution_due_at == sla.add_working_time(resolution, timedelta(hours=3), calendar)
    assert found.due_soon_marked_at is None
    event = found.events[-1]
    assert event.kind == "priority" and event.public
    assert event.detail == "Priority changed from normal to urgent: A safety risk"
    assert actions(session, case)[-1] == "case.priority_changed"


def test_category_of_another_committee_moves_the_case_there_unassigned(app, session, people):
    policies = app.extensions["portal.policies"]
    case = make_case(app, session, people["member"])
    chair = people["chair"]
    found, standing = opened(session, chair, case)
    reassign.assign(session, chair, found, standing, people["reviewer"].id)
    moved = reassign.change_category(session, chair, found, standing, "ethics", policies)
    assert moved and found.category == "ethics" and found.committee.slug == "ethics"
    assert found.assignee_id is None
    session.flush()
    # Gone from this committee's queue, and closed to its people.
    assert case.reference not in [
        r.case.reference for r in queue.queue(session, chair, queue.Filters()).rows
    ]
    with pytest.raises(NotFound):
        opened(session, people["reviewer"], case)
    ethics_chair = people["ethics_chair"]
    rows = queue.queue(session, ethics_chair, queue.Filters(assignee="unassigned")).rows
    assert case.reference in [r.case.reference for r in rows]
    assert actions(session, case)[-1] == "case.category_changed"


def test_triage_only_on_open_cases(app, session, people):
    policies = app.extensions["portal.policies"]
    case = make_case(app, session, people["member"])
    case.status, case.is_open = "closed", False
    session.flush()
    found, standing = opened(session, people["chair"], case)
    with pytest.raises(InvalidInput):
        reassign.change_category(session, people["chair"], found, standing, "events", policies)
    assert not reassign.may_triage(standing, found)


def test_conflicted_ids_finds_filer_named_party_and_recusal_at_once(app, session, people):
    from portal.models.grievances import Recusal

    case = make_case(app, session, people["member"], party_emails=["SAM@example.org"])
    session.add(Recusal(grievance_id=case.id, user_id=people["chair"].id))
    session.flush()
    everyone = [people[k] for k in ("reviewer", "second", "chair", "member")]
    found = conflicts.conflicted_ids(session, everyone, case)
    assert found == {people["second"].id, people["chair"].id, people["member"].id}
    assert [c.name for c in reassign.assignable(session, case)] == ["Rita Reviewer"]
