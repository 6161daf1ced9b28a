"""Extensions: only a chair, at most as often and as far as the ladder allows, with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.domain.errors import InvalidInput, NotFound, PermissionDenied
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.grievances import CaseExtension, Recusal
from portal.services import extensions
from tests.factories import make_user
from tests.unit.services.conftest import DECISION_DUE, at


def test_a_chair_moves_the_decision_date_with_a_reason(session, policies, chair, make_case):
    case = make_case(first_response_at=at(2, 10))
    case.due_soon_marked_at = at(17, 12)
    ext = extensions.extend(
        session, chair, case, "Waiting for the bank's statement.", policies, days=5, now=at(18, 10)
    )
    assert (ext.from_due_at, ext.to_due_at) == (DECISION_DUE, at(27, 17))
    assert case.resolution_due_at == at(27, 17) and case.extension_count == 1
    assert case.due_soon_marked_at is None  # the new date gets its own warning
    event = next(e for e in case.events if e.kind == "extended")
    assert event.public and event.detail == "Waiting for the bank's statement."
    assert ext.reason == "Waiting for the bank's statement."
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "case.extended"))
    assert entry.actor_id == chair.id and "Waiting" not in entry.detail


def test_a_new_date_can_be_given_instead_of_days(session, policies, chair, make_case):
    case = make_case(first_response_at=at(2, 10))
    extensions.extend(session, chair, case, "Holiday cover.", policies, new_due_at=at(25, 12))
    assert case.resolution_due_at == at(25, 12)


def test_no_more_than_the_ladder_allows(session, policies, chair, make_case):
    assert policies.ladder.max_extensions == 2
    case = make_case(first_response_at=at(2, 10))
    for n in range(2):
        extensions.extend(session, chair, case, f"Reason {n}.", policies, days=1, now=at(3, 10))
    with pytest.raises(InvalidInput, match="already been moved 2 times"):
        extensions.extend(session, chair, case, "Once more.", policies, days=1, now=at(3, 10))
    assert case.extension_count == 2
    assert session.scalar(sa.select(sa.func.count()).select_from(CaseExtension)) == 2


def test_no_further_than_the_limit_each_time(session, policies, chair, make_case):
    assert str(policies.ladder.extension_limit) == "10 working days"
    case = make_case(first_response_at=at(2, 10))
    with pytest.raises(InvalidInput, match="at most 10 working days") as caught:
        extensions.extend(session, chair, case, "A long wait.", policies, days=11)
    assert caught.value.field == "days"
    limit = extensions.latest_allowed(case, policies)
    with pytest.raises(InvalidInput, match="at most 10 working days"):
        extensions.extend(
            session, chair, case, "A long wait.", policies, new_due_at=limit + timedelta(hours=1)
        )
    extensions.extend(session, chair, case, "Ten days.", policies, days=10)
    assert case.resolution_due_at == limit


def test_a_reason_and_a_later_date_are_needed(session, policies, chair, make_case):
    case = make_case(first_response_at=at(2, 10))
    with pytest.raises(InvalidInput) as caught:
        extensions.extend(session, chair, case, "  ", policies, new_due_at=at(19, 10))
    assert {f for f, _ in caught.value.problems} == {"reason", "new_due_at"}
    with pytest.raises(InvalidInput, match="at least one working day"):
        extensions.extend(session, chair, case, "Why not.", policies, days=0)
    assert case.extension_count == 0 and case.resolution_due_at == DECISION_DUE


def test_a_reviewer_and_outsiders_are_refused(session, policies, reviewer, chair, make_case):
    case = make_case(first_response_at=at(2, 10))
    with pytest.raises(PermissionDenied):
        extensions.extend(session, reviewer, case, "I'd like more time.", policies, days=2)
    outsider = make_user(session, Role.CHAIR)  # a chair, but not of this committee
    with pytest.raises(NotFound):
        extensions.extend(session, outsider, case, "Mine now.", policies, days=2)
    session.add(Recusal(grievance_id=case.id, user_id=chair.id))
    session.flush()
    with pytest.raises(NotFound):  # a conflicted chair cannot reach the case at all
        extensions.extend(session, chair, case, "Conflicted.", policies, days=2)
    assert case.extension_count == 0


def test_a_recorded_breach_stays_recorded(session, policies, chair, make_case):
    case = make_case(first_response_at=at(2, 10))
    case.resolution_breached_at = at(23, 9)
    extensions.extend(session, chair, case, "Late, sorry.", policies, days=3, now=at(23, 10))
    assert case.resolution_breached_at == at(23, 9) and case.resolution_due_at > at(23, 10)


def test_a_closed_case_keeps_its_date(session, policies, chair, make_case):
    case = make_case(status="resolved", first_response_at=at(2, 10))
    with pytest.raises(InvalidInput, match="can no longer be moved"):
        extensions.extend(session, chair, case, "Too late.", policies, days=1)
