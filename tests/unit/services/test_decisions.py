"""Decisions: who decides at each level, what is checked, and what deciding changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.domain import sla
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.models.grievances import Decision
from portal.services import casefile, casework, decisions, reassign
from tests.factories import make_case, make_policy_committees, make_user, seat

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
GOOD = {
    "outcome": "upheld",
    "rationale": "The second charge was an error.",
    "remedy": "Refund the second charge.",
    "clauses": ["remedies", "service-standards"],
}


@pytest.fixture
def people(app, session):  # type: ignore[no-untyped-def]
    committees = make_policy_committees(session, app.extensions["portal.policies"])
    services = committees["member-services"]
    people = {
        "reviewer": make_user(session, Role.REVIEWER, name="Rita Reviewer"),
        "other": make_user(session, Role.REVIEWER, name="Otto Other"),
        "chair": make_user(session, Role.CHAIR, name="Carl Chair"),
        "member": make_user(session, Role.MEMBER, name="Mia Member"),
    }
    seat(session, services, people["reviewer"])
    seat(session, services, people["other"])
    seat(session, services, people["chair"], Seat.CHAIR)
    return people


def assigned_case(app, session, people, **changes):  # type: ignore[no-untyped-def]
    case = make_case(app, session, people["member"], now=MONDAY, **changes)
    found, standing = casefile.committee_case(session, people["chair"], case.reference)
    reassign.assign(session, people["chair"], found, standing, people["reviewer"].id, now=MONDAY)
    return case


def decide(app, session, user, case, now=None, **changes):  # type: ignore[no-untyped-def]
    found, standing = casefile.committee_case(session, user, case.reference, audit_view=False)
    values = {**GOOD, **changes}
    return decisions.record_decision(
        session,
        user,
        found,
        standing,
        policies=app.extensions["portal.policies"],
        now=now,
        **values,
    )


def test_the_assignee_decides_at_level_1_and_the_case_is_resolved(app, session, people):
    policies = app.extensions["portal.policies"]
    case = assigned_case(app, session, people)
    assert case.status == "acknowledged"
    now = MONDAY + timedelta(days=1)
    decision = decide(app, session, people["reviewer"], case, now=now)
    assert case.status == "resolved" and not case.is_open and case.resolved_at == now
    moves = [e.to_status for e in case.events if e.kind == "status"]
    assert moves[-2:] == ["under_review", "resolved"]  # through review, as the workflow says
    assert (decision.level, decision.outcome, decision.clauses) == (
        1,
        "upheld",
        "service-standards,remedies",  # in the procedure's order
    )
    window = policies.calendar.duration(policies.ladder.appeal_window)
    assert case.appeal_due_at == sla.add_working_time(now, window, policies.calendar)
    assert case.events[-1].kind == "decided" and case.events[-1].public
    action = session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1))
    assert action == "case.decided"


def test_a_reviewer_who_is_not_the_assignee_cannot_decide_at_level_1(app, session, people):
    case = assigned_case(app, session, people)
    with pytest.raises(PermissionDenied):
        decide(app, session, people["other"], case)
    assert case.status == "acknowledged" and not case.decisions
    # The chair can.
    decide(app, session, people["chair"], case)
    assert case.status == "resolved"


def test_only_a_chair_decides_at_the_chairs_level(app, session, people):
    case = assigned_case(app, session, people)
    case.escalation_level = 2
    with pytest.raises(PermissionDenied):
        decide(app, session, people["reviewer"], case)
    decide(app, session, people["chair"], case)
    assert case.decisions[0].level == 2 and case.appeal_due_at is not None


def test_nobody_decides_here_at_the_panels_level_and_it_would_be_final(app, session, people):
    policies = app.extensions["portal.policies"]
    case = assigned_case(app, session, people)
    case.escalation_level = 3
    found, standing = casefile.committee_case(session, people["chair"], case.reference)
    decider = decisions.who_decides(people["chair"], found, standing, policies)
    assert not decider.may and decider.actor == "grievance_panel"
    with pytest.raises(PermissionDenied):
        decide(app, session, people["chair"], case)
    assert decisions.appeal_due(found, policies, MONDAY) is None  # the top of the ladder


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"outcome": "banished"}, "outcome"),
        ({"rationale": "  "}, "rationale"),
        ({"clauses": []}, "clauses"),
        ({"clauses": ["made-up"]}, "clauses"),
    ],
)
def test_refusals_write_nothing(app, session, people, changes, field):
    case = assigned_case(app, session, people)
    with pytest.raises(InvalidInput) as refused:
        decide(app, session, people["reviewer"], case, **changes)
    assert field in [f for f, _m in refused.value.problems]
    assert case.status == "acknowledged" and case.resolved_at is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0


def test_deciding_while_awaiting_the_member_resumes_the_clock(app, session, people):
    case = assigned_case(app, session, people)
    found, standing = casefile.committee_case(session, people["reviewer"], case.reference)
    casework.request_information(
        session, people["reviewer"], found, standing, "Any receipt?", now=MONDAY
    )
    due = found.resolution_due_at
    decide(app, session, people["reviewer"], case, now=MONDAY + timedelta(hours=3))
    assert found.status == "resolved" and found.paused_at is None
    assert found.resolution_due_at > due
