"""The member asks for escalation after a missed date, and appeals a decision in time."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.domain.errors import InvalidInput, NotFound
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.grievances import CaseEvent, Decision, InternalNote, PanelSeat
from portal.services import escalation
from tests.factories import make_user
from tests.unit.services.conftest import at, panel_members


def _decide(session, case, by, when):  # type: ignore[no-untyped-def]
    """As the decision service leaves a case: resolved, with an appeal window."""
    decision = Decision(grievance=case, level=case.escalation_level, decided_by_id=by.id)
    decision.decided_at = when
    decision.outcome, decision.rationale = "not-upheld", "The charge was correct."
    session.add(decision)
    case.status, case.is_open, case.resolved_at = "resolved", False, when
    case.appeal_due_at = when + timedelta(days=28)
    session.flush()
    return decision


# --- asking for escalation ------------------------------------------------------------


def test_escalation_is_refused_before_a_date_is_missed(session, policies, member, make_case):
    case = make_case()
    assert escalation.escalation_offer(case, policies, at(2, 12)) is None
    with pytest.raises(InvalidInput, match="once a date we promised you has passed"):
        escalation.request_escalation(session, member, case, policies, at(2, 12))
    assert case.escalation_level == 1 and case.escalation_requested_at is None


def test_after_a_missed_date_the_member_moves_the_case_once(session, policies, member, make_case):
    case = make_case()
    offer = escalation.escalation_offer(case, policies, at(3, 10))
    assert offer is not None and offer.number == 2
    level = escalation.request_escalation(session, member, case, policies, at(3, 10))
    assert level.number == 2 and case.escalation_level == 2
    assert case.escalation_requested_at == at(3, 10)
    event = next(e for e in case.events if e.kind == "escalated.member_request")
    assert event.public and "the member asked for it" in event.detail
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "case.escalated"))
    assert entry.actor_id is None and "case-member" in entry.detail  # no member id in the log

    assert escalation.escalation_offer(case, policies, at(3, 11)) is None
    with pytest.raises(InvalidInput, match="already asked"):
        escalation.request_escalation(session, member, case, policies, at(3, 11))


def test_a_recorded_breach_counts_even_after_a_late_answer(session, policies, member, make_case):
    case = make_case(first_response_at=at(3, 12))  # answered, but after 17:00 on the 2nd
    assert escalation.escalation_offer(case, policies, at(4, 10)) is not None


def test_nothing_to_ask_for_when_already_at_that_level(session, policies, member, make_case):
    case = make_case(level=2)
    assert escalation.escalation_offer(case, policies, at(3, 10)) is None
    with pytest.raises(InvalidInput, match="already at level 2"):
        escalation.request_escalation(session, member, case, policies, at(3, 10))


def test_only_the_cases_member_may_ask(session, policies, make_case):
    case = make_case()
    other = make_user(session, Role.MEMBER)
    with pytest.raises(NotFound):
        escalation.request_escalation(session, other, case, policies, at(3, 10))
    assert case.escalation_level == 1


# --- appeals --------------------------------------------------------------------------


def test_an_appeal_in_time_reopens_the_case_with_a_fresh_panel(
    session, policies, member, reviewer, chair, make_case
):
    outsiders = panel_members(session, 3, "Outsider")
    # A panel member who wrote a note on the case took part: never on its appeal panel.
    involved = make_user(session, Role.PANEL, Role.REVIEWER, name="Involved")
    case = make_case(first_response_at=at(2, 10))
    case.assignee = reviewer
    note = InternalNote(grievance=case, author=involved)
    note.body = "I looked at the invoice."
    session.add(note)
    _decide(session, case, reviewer, at(10, 10))

    level = escalation.appeal_offer(case, policies, at(12, 10))
    assert level is not None and level.number == 3
    escalation.appeal(session, member, case, "The charge was not correct.", policies, at(12, 10))

    assert case.status == "appealed" and case.is_open and case.escalation_level == 3
    assert case.appealed_at == at(12, 10) and case.appeal_due_at is None
    assert case.resolution_due_at > at(12, 10)  # a new promise for the appeal
    seats = session.scalars(sa.select(PanelSeat).where(PanelSeat.grievance_id == case.id)).all()
    assert {s.user_id for s in seats} == {p.id for p in outsiders}
    assert not {reviewer.id, chair.id, involved.id, member.id} & {s.user_id for s in seats}
    status = next(e for e in case.events if e.kind == "status" and e.to_status == "appealed")
    assert status.public and status.detail == "The charge was not correct."
    table = CaseEvent.__table__
    raw = session.scalar(sa.select(table.c.detail_ct).where(table.c.id == status.id))
    assert b"charge was not correct" not in bytes(raw)
    assert any(e.kind == "escalated.appeal" and e.public for e in case.events)

    with pytest.raises(InvalidInput, match="already appealed"):
        escalation.appeal(session, member, case, "Again.", policies, at(12, 11))


def test_an_appeal_after_the_window_is_refused(session, policies, member, reviewer, make_case):
    case = make_case(first_response_at=at(2, 10))
    _decide(session, case, reviewer, at(10, 10))
    late = case.appeal_due_at + timedelta(minutes=1)
    assert escalation.appeal_offer(case, policies, late) is None
    with pytest.raises(InvalidInput, match="time to appeal"):
        escalation.appeal(session, member, case, "Too late?", policies, late)
    assert case.status == "resolved" and case.escalation_level == 1


def test_a_decision_at_the_top_cannot_be_appealed(session, policies, member, reviewer, make_case):
    case = make_case(level=3, first_response_at=at(2, 10))
    _decide(session, case, reviewer, at(10, 10))
    assert escalation.appeal_offer(case, policies, at(11, 10)) is None
    with pytest.raises(InvalidInput, match="last level"):
        escalation.appeal(session, member, case, "Please.", policies, at(11, 10))


def test_an_appeal_needs_a_reason_and_a_decision(session, policies, member, reviewer, make_case):
    open_case = make_case()
    with pytest.raises(InvalidInput, match="only a decision can be appealed"):
        escalation.appeal(session, member, open_case, "Why?", policies, at(3, 10))
    case = make_case(first_response_at=at(2, 10))
    _decide(session, case, reviewer, at(10, 10))
    with pytest.raises(InvalidInput, match="why you disagree") as caught:
        escalation.appeal(session, member, case, "   ", policies, at(11, 10))
    assert caught.value.field == "reason"
    other = make_user(session, Role.MEMBER)
    with pytest.raises(NotFound):
        escalation.appeal(session, other, case, "Not mine.", policies, at(11, 10))
    assert case.status == "resolved"
