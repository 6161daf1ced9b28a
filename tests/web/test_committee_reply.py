"""Writing to the member from the case page (canned responses, requests for information) and
internal notes the member never reads."""

from __future__ import annotations

import html as htmllib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.domain import sla
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.models.grievances import Grievance, Message
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in


@pytest.fixture
def people(app, session, committees, member):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
    chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    seat(session, services, reviewer)
    seat(session, services, chair, Seat.CHAIR)
    session.commit()
    return {"reviewer": reviewer, "chair": chair}


def body_field(page: str) -> str:
    found = re.search(r'<textarea[^>]*name="reply-body"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert found, "no message field"
    # A browser drops the newline that starts a text area's content.
    return htmllib.unescape(found.group(1)).removeprefix("\r\n").removeprefix("\n")


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_use_this_text_fills_in_the_canned_response_in_english(app, session, people, member):
    case = make_case(app, session, member)
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    page = reviewer.get(url).get_data(as_text=True)
    assert "Start from" in page and "Use this text" in page
    assert "We need more information" in page and ">Acknowledgement<" not in page
    audits = count(session, AuditEntry)
    filled = reviewer.get(f"{url}/reply?start-response=escalated")
    assert filled.status_code == 200
    text = body_field(filled.get_data(as_text=True))
    assert text.startswith("Dear Fiona Filer,")
    assert case.reference in text and "{" not in text
    due = case.first_response_due_at.astimezone(
        app.extensions["portal.policies"].calendar.time_zone
    )
    assert f"{due:%A} {due.day} {due:%B %Y} at {due:%H:%M} (London time)" in text
    # A read, nothing more: no message, the case unchanged, one audited view.
    assert count(session, Message) == 0 and count(session, AuditEntry) == audits + 1
    session.refresh(case)
    assert case.first_response_at is None and case.status == "acknowledged"


def test_use_this_text_in_korean_for_a_korean_member(app, session, people, member):
    member.language = "ko"
    case = make_case(app, session, member)
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    filled = reviewer.get(f"/committee/cases/{case.reference}/reply?start-response=awaiting-member")
    text = body_field(filled.get_data(as_text=True))
    assert text.startswith("Fiona Filer 님께")
    assert f"접수번호 {case.reference} 고충을 진행하려면" in text


def test_a_withheld_member_is_addressed_neutrally(app, session, people, member):
    case = make_case(app, session, member, category="events", hide_identity=True)
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    filled = reviewer.get(f"/committee/cases/{case.reference}/reply?start-response=escalated")
    page = filled.get_data(as_text=True)
    assert body_field(page).startswith("Dear Member,") and "Fiona" not in page


def test_an_unknown_response_is_refused(app, session, people, member):
    case = make_case(app, session, member)
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}/reply"
    for slug in ("nonsense", "acknowledgement"):
        refused = reviewer.get(f"{url}?start-response={slug}")
        assert refused.status_code == 400
        assert 'id="error-summary"' in refused.get_data(as_text=True)


def test_the_first_message_is_the_first_response(app, session, people, member):
    case = make_case(app, session, member)
    case.due_soon_marked_at = case.submitted_at
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    empty = reviewer.submit(f"{url}/reply", {"reply-body": "  "}, url)
    assert empty.status_code == 400 and 'id="error-summary"' in empty.get_data(as_text=True)
    assert count(session, Message) == 0
    sent = reviewer.submit(
        f"{url}/reply",
        {"reply-body": "We are looking at the charge.", "reply-response": "escalated"},
        url,
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith("#reply")
    session.refresh(case)
    assert case.first_response_at is not None and case.due_soon_marked_at is None
    assert case.status == "under_review"
    message = session.scalars(sa.select(Message)).one()
    assert not message.from_member and message.author_id == people["reviewer"].id
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "case.message_sent"
    mine = signed_in(app, "filer@example.org").get(f"/grievances/{case.reference}")
    html = mine.get_data(as_text=True)
    assert "We are looking at the charge." in html
    assert "The committee sent you a message" in html and "Being reviewed" in html
    assert "Rita Reviewer ·" not in html  # signed by the committee, not the reviewer


def test_request_information_pauses_until_the_member_replies(app, session, people, member):
    """The whole loop through the pages: ask, the member reads and replies, the clock
    restarts and the decision date moves by the working time spent waiting."""
    calendar = app.extensions["portal.policies"].calendar
    case = make_case(app, session, member)
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    page = reviewer.get(url).get_data(as_text=True)
    assert "Ask the member for information" in page
    asked = reviewer.submit(
        f"{url}/request-information", {"reply-body": "Which card was charged?"}, url
    )
    assert asked.status_code == 303
    session.refresh(case)
    assert case.status == "awaiting_member" and case.paused_at is not None
    assert case.first_response_at is not None
    # Asking twice is not offered while the member has not answered.
    assert "Ask the member for information" not in reviewer.get(url).get_data(as_text=True)
    # Pretend the member took three days to answer.
    case.paused_at -= timedelta(days=3)
    paused_at, due_before = case.paused_at, case.resolution_due_at
    session.commit()
    member_browser = signed_in(app, "filer@example.org")
    mine = member_browser.get(f"/grievances/{case.reference}").get_data(as_text=True)
    assert "Which card was charged?" in mine and "Waiting for your reply" in mine
    # Newest first: what the committee asked, after the case moved to wait for the member.
    start = mine.index('id="timeline-heading"')
    timeline = mine[start : mine.index("</section>", start)]
    asked_at = timeline.index("The committee asked you for more information")
    assert asked_at < timeline.index("Waiting for your reply") < timeline.index("Being reviewed")
    replied = member_browser.submit(
        f"/grievances/{case.reference}/messages",
        {"body": "The blue one."},
        form_url=f"/grievances/{case.reference}",
    )
    assert replied.status_code == 303
    session.expire_all()
    case = session.get(Grievance, case.id)
    assert case.status == "under_review" and case.paused_at is None
    # At least the three days' working time (and the seconds the test took), in whole seconds.
    waited = timedelta(seconds=case.paused_seconds)
    three_days = sla.working_time_between(paused_at, paused_at + timedelta(days=3), calendar)
    assert three_days > timedelta(0)
    assert three_days - timedelta(seconds=1) <= waited < three_days + timedelta(minutes=1)
    moved = sla.extend_due(due_before, waited, calendar)
    assert abs(case.resolution_due_at - moved) < timedelta(seconds=1)
    assert case.resolution_due_at > due_before


def test_notes_are_for_the_committee_only(app, session, people, member):
    case = make_case(app, session, member)
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    secret = "The office manager admitted the double charge off the record"
    empty = reviewer.submit(f"{url}/notes", {"note-body": ""}, url)
    assert empty.status_code == 400 and "Write the note before saving it." in empty.get_data(
        as_text=True
    )
    saved = reviewer.submit(f"{url}/notes", {"note-body": secret}, url)
    assert saved.status_code == 303 and saved.headers["Location"].endswith("#notes")
    assert secret in reviewer.get(url).get_data(as_text=True)
    raw = session.execute(sa.text("SELECT body_ct FROM internal_notes")).scalar_one()
    assert secret.encode() not in bytes(raw)
    # The member's case page, its timeline and their list never show it.
    member_browser = signed_in(app, "filer@example.org")
    for page in (f"/grievances/{case.reference}", "/my/grievances"):
        assert secret not in member_browser.get(page).get_data(as_text=True)
    assert all(secret not in (e.detail or "") for e in case.events)
