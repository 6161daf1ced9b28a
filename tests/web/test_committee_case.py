"""The committee's queue and case page: who sees what, plain moves, evidence downloads."""

from __future__ import annotations

import io

import pytest

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.services.evidence import Upload
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in


@pytest.fixture
def people(app, session, committees, member):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
    chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    other = make_user(session, Role.REVIEWER, email="ethics@example.org", name="Ed Ethics")
    seat(session, services, reviewer)
    seat(session, services, chair, Seat.CHAIR)
    seat(session, committees["ethics"], other)
    make_user(session, Role.ADMIN, email="admin@example.org")
    make_user(session, Role.AUDITOR, email="auditor@example.org")
    session.commit()
    return {"reviewer": reviewer, "chair": chair, "other": other}


def test_reviewer_sees_the_case_in_the_queue_and_opens_it(app, session, people, member):
    case = make_case(app, session, member)
    session.commit()
    browser = signed_in(app, "rev@example.org")
    queue = browser.get("/committee/queue")
    assert queue.status_code == 200
    page = queue.get_data(as_text=True)
    assert case.reference in page and "Charged twice for dues" in page
    assert "Fiona Filer" in page
    opened = browser.get(f"/committee/cases/{case.reference}")
    assert opened.status_code == 200
    text = opened.get_data(as_text=True)
    assert "My card was charged twice" in text
    assert "Start the review" in text


def test_withheld_identity_is_never_shown(app, session, people, member):
    case = make_case(app, session, member, category="events", hide_identity=True)
    session.commit()
    browser = signed_in(app, "rev@example.org")
    for url in ("/committee/queue", f"/committee/cases/{case.reference}"):
        page = browser.get(url).get_data(as_text=True)
        assert "Member (identity withheld)" in page
        assert "Fiona Filer" not in page


@pytest.mark.parametrize(
    "email", ["ethics@example.org", "admin@example.org", "auditor@example.org"]
)
def test_people_outside_the_committee_get_404(app, session, people, member, email):
    case = make_case(app, session, member)
    session.commit()
    browser = signed_in(app, email)
    assert browser.get(f"/committee/cases/{case.reference}").status_code == 404
    if email == "ethics@example.org":
        assert case.reference not in browser.get("/committee/queue").get_data(as_text=True)


def test_a_named_party_is_kept_out(app, session, people, member):
    case = make_case(app, session, member, party_emails=["REV@example.org"])
    session.commit()
    browser = signed_in(app, "rev@example.org")
    assert browser.get(f"/committee/cases/{case.reference}").status_code == 404
    queue = browser.get("/committee/queue").get_data(as_text=True)
    assert case.reference not in queue
    # The chair, not named, still sees it.
    chair = signed_in(app, "chair@example.org")
    assert case.reference in chair.get("/committee/queue").get_data(as_text=True)


def test_plain_moves_follow_the_workflow(app, session, people, member):
    case = make_case(app, session, member)
    session.commit()
    browser = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    done = browser.submit(f"{url}/status", {"move-target": "under_review"}, form_url=url)
    assert done.status_code == 303
    page = browser.get(url).get_data(as_text=True)
    assert "Being reviewed" in page and "Start investigating" in page
    # A move the workflow does not allow now is refused with a message, nothing changes.
    refused = browser.submit(f"{url}/status", {"move-target": "closed"}, form_url=url)
    assert refused.status_code == 400
    assert "cannot be done" in refused.get_data(as_text=True)
    session.refresh(case)
    assert case.status == "under_review"


def test_evidence_downloads_under_the_detected_type(app, session, people, member):
    upload = Upload("invoice\u202egpj.html", io.BytesIO(b"<script>alert(1)</script> plain text"))
    case = make_case(app, session, member, files=[upload])
    session.commit()
    browser = signed_in(app, "rev@example.org")
    page = browser.get(f"/committee/cases/{case.reference}").get_data(as_text=True)
    attachment = case.attachments[0]
    response = browser.get(f"/committee/cases/{case.reference}/evidence/{attachment.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert ".txt" in disposition and ".html" not in disposition and "\u202e" not in disposition
    assert response.mimetype == "text/plain"
    assert "invoice" in page
