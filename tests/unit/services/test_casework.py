"""Working a case: notes, messages, the first response, asking the member and canned texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.domain import sla
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.models.grievances import Message
from portal.services import casefile, cases, casework, replies
from tests.factories import make_case, make_policy_committees, make_user, seat

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 10:00 in London, a working day


@pytest.fixture
def people(app, session):  # type: ignore[no-untyped-def]
    committees = make_policy_committees(session, app.extensions["portal.policies"])
    services = committees["member-services"]
    people = {
        "reviewer": make_user(session, Role.REVIEWER, name="Rita Reviewer"),
        "chair": make_user(session, Role.CHAIR, name="Carl Chair"),
        "member": make_user(session, Role.MEMBER, name="Mia Member"),
    }
    seat(session, services, people["reviewer"])
    seat(session, services, people["chair"], Seat.CHAIR)
    return people


def opened(session, user, case):  # type: ignore[no-untyped-def]
    return casefile.committee_case(session, user, case.reference, audit_view=False)


def last_action(session, case) -> str:  # type: ignore[no-untyped-def]
    return session.scalar(
        sa.select(AuditEntry.action)
        .where(AuditEntry.object_id == str(case.id))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )


def test_a_note_is_encrypted_and_audited(app, session, people):
    case = make_case(app, session, people["member"])
    found, standing = opened(session, people["reviewer"], case)
    with pytest.raises(InvalidInput):
        casework.add_note(session, people["reviewer"], found, standing, "  ")
    note = casework.add_note(session, people["reviewer"], found, standing, "Call the office")
    session.flush()
    raw = session.execute(sa.text("SELECT body_ct FROM internal_notes")).scalar_one()
    assert b"Call the office" not in bytes(raw)
    assert note.body == "Call the office" and last_action(session, case) == "case.note_added"
    assert all("Call the office" not in (e.detail or "") for e in found.events)


def test_the_first_message_is_the_first_response_and_starts_the_review(app, session, people):
    case = make_case(app, session, people["member"], now=MONDAY)
    case.due_soon_marked_at = MONDAY
    found, standing = opened(session, people["reviewer"], case)
    later = MONDAY + timedelta(hours=2)
    casework.send_reply(
        session, people["reviewer"], found, standing, "Hello", "escalated", now=later
    )
    assert found.first_response_at == later and found.due_soon_marked_at is None
    assert found.status == "under_review"
    message = session.scalars(sa.select(Message)).one()
    assert not message.from_member and message.author_id == people["reviewer"].id
    assert [e.kind for e in found.events if e.public][-2:] == ["committee_message", "status"]
    assert last_action(session, case) == "case.message_sent"
    # A second message changes neither.
    casework.send_reply(
        session, people["reviewer"], found, standing, "More", now=later + timedelta(hours=1)
    )
    assert found.first_response_at == later


def test_asking_the_member_pauses_the_clock_until_they_reply(app, session, people):
    """The whole loop: ask (paused), the member replies two days later (resumed), and the
    decision date moves by exactly the working time spent waiting."""
    policies = app.extensions["portal.policies"]
    calendar = policies.calendar
    member = people["member"]
    case = make_case(app, session, member, now=MONDAY)
    due_before = case.resolution_due_at
    found, standing = opened(session, people["reviewer"], case)
    asked = MONDAY + timedelta(hours=1)  # Monday 11:00
    casework.request_information(
        session, people["reviewer"], found, standing, "Which card was it?", now=asked
    )
    assert found.status == "awaiting_member" and found.paused_at == asked
    assert found.first_response_at == asked
    statuses = [e.to_status for e in found.events if e.kind == "status"]
    assert statuses[-2:] == ["under_review", "awaiting_member"]
    assert last_action(session, case) == "case.information_requested"

    replied = asked + timedelta(days=2)  # Wednesday 11:00
    mine = cases.member_case(session, member, case.reference, audit_view=False)
    cases.send_message(
        session,
        member,
        mine,
        "The blue one.",
        [],
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
        calendar,
        now=replied,
    )
    waited = timedelta(hours=6 + 8 + 2)  # Mon 11-17, Tue 9-17, Wed 9-11
    assert sla.working_time_between(asked, replied, calendar) == waited
    assert mine.status == "under_review" and mine.paused_at is None
    assert mine.paused_seconds == waited.total_seconds()
    assert mine.resolution_due_at == sla.add_working_time(due_before, waited, calendar)
    assert mine.resolution_due_at > due_before


def test_no_request_on_a_case_the_workflow_does_not_allow(app, session, people):
    case = make_case(app, session, people["member"])
    found, standing = opened(session, people["reviewer"], case)
    casework.request_information(session, people["reviewer"], found, standing, "Question")
    assert not casework.may_request_information(standing, found)
    with pytest.raises(InvalidInput):
        casework.request_information(session, people["reviewer"], found, standing, "Again")


def test_canned_text_in_english_with_placeholders_filled(app, session, people):
    policies = app.extensions["portal.policies"]
    case = make_case(app, session, people["member"], now=MONDAY)
    text = replies.canned_text(session, case, "escalated", policies)
    assert text.startswith("Dear Mia Member,")
    assert case.reference in text
    assert "Tuesday 24 November 2026 at 10:00 (London time)" in text
    assert "{" not in text
    with pytest.raises(InvalidInput):
        replies.canned_text(session, case, "acknowledgement", policies)
    with pytest.raises(InvalidInput):
        replies.canned_text(session, case, "no-such-thing", policies)
    assert "acknowledgement" not in [r.slug for r in replies.offered(policies)]


def test_canned_text_in_korean_for_a_korean_member(app, session, people):
    policies = app.extensions["portal.policies"]
    people["member"].language = "ko"
    case = make_case(app, session, people["member"], now=MONDAY)
    text = replies.canned_text(session, case, "escalated", policies)
    assert text.startswith("Mia Member 님께")
    assert "2026년 11월 24일" in text and "런던" in text


def test_canned_text_never_names_a_withheld_member(app, session, people):
    policies = app.extensions["portal.policies"]
    people["member"].language = "ko"
    case = make_case(app, session, people["member"], category="events", hide_identity=True)
    text = replies.canned_text(session, case, "awaiting-member", policies)
    assert text.startswith("회원 님께") and "Mia" not in text
