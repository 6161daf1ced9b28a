"""Recording a decision from the case page, and the member reading it with how to appeal."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.grievances import Decision
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in

GOOD = {
    "decision-outcome": "partly-upheld",
    "decision-rationale": "Only the March charge was a duplicate.",
    "decision-remedy": "Refund the March charge.",
    "decision-clauses": ["service-standards", "remedies"],
}


@pytest.fixture
def people(app, session, committees, member):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
    other = make_user(session, Role.REVIEWER, email="otto@example.org", name="Otto Other")
    chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    seat(session, services, reviewer)
    seat(session, services, other)
    seat(session, services, chair, Seat.CHAIR)
    session.commit()
    return {"reviewer": reviewer, "other": other, "chair": chair}


@pytest.fixture
def case(app, session, people, member):  # type: ignore[no-untyped-def]
    found = make_case(app, session, member)
    found.assignee_id = people["reviewer"].id
    session.commit()
    return found


def decisions(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(sa.func.count()).select_from(Decision))


def test_the_assignee_decides_and_the_member_reads_it_with_the_appeal_date(
    app, session, case, member
):
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    page = reviewer.get(url).get_data(as_text=True)
    assert "Record the decision" in page and "5.2 Remedies" in page
    done = reviewer.submit(f"{url}/decision", GOOD, url)
    assert done.status_code == 303 and done.headers["Location"].endswith("#decision")
    session.refresh(case)
    assert case.status == "resolved" and case.resolved_at and case.appeal_due_at
    staff = reviewer.get(url).get_data(as_text=True)
    assert "decided by Rita Reviewer" in staff and "Record the decision" not in staff

    member_browser = signed_in(app, "filer@example.org")
    mine = member_browser.get(f"/grievances/{case.reference}").get_data(as_text=True)
    assert "The committee&#39;s decision" in mine or "The committee's decision" in mine
    assert "Partly upheld" in mine and "Part of the grievance is justified" in mine
    assert "Only the March charge was a duplicate." in mine and "Refund the March charge." in mine
    assert "Clause 3.4: The association" in mine and "Clause 5.2: Remedies" in mine
    assert "you can appeal until" in mine and "from this page" in mine
    assert "The committee decided: Partly upheld" in mine  # on the timeline
    assert "Rita Reviewer" not in mine.split('id="decision-heading"')[1].split("</section>")[0]

    member.language = "ko"
    session.commit()
    korean = member_browser.get(f"/grievances/{case.reference}").get_data(as_text=True)
    assert "일부 인용" in korean and "구제 조치" in korean
    assert "위원회의 결정" in korean and "이 화면에서 이의를 신청하실 수 있습니다" in korean
    assert "조항 5.2: 구제 조치" in korean


def test_a_reviewer_who_is_not_the_assignee_cannot_decide(app, session, case):
    other = signed_in(app, "otto@example.org")
    url = f"/committee/cases/{case.reference}"
    page = other.get(url).get_data(as_text=True)
    assert "Record the decision" not in page
    assert "the assigned reviewer or the chair decides" in page
    refused = other.submit(f"{url}/decision", GOOD, url)
    assert refused.status_code == 403
    session.refresh(case)
    assert case.status == "acknowledged" and decisions(session) == 0


def test_a_bad_outcome_is_refused(app, session, case):
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    refused = reviewer.submit(f"{url}/decision", {**GOOD, "decision-outcome": "banished"}, url)
    assert refused.status_code == 400
    assert 'id="error-summary"' in refused.get_data(as_text=True)
    assert decisions(session) == 0


def test_missing_rationale_and_clauses_are_reported_and_nothing_is_written(app, session, case):
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    data = {**GOOD, "decision-rationale": "", "decision-clauses": []}
    refused = reviewer.submit(f"{url}/decision", data, url)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert "Give the reasons for the decision" in summary
    assert "Tick at least one clause" in summary
    assert "Refund the March charge." in html  # what was typed is kept
    session.refresh(case)
    assert case.status == "acknowledged" and case.resolved_at is None
    assert decisions(session) == 0


def test_at_the_panels_level_the_page_says_the_panel_decides(app, session, case):
    case.escalation_level = 3
    session.commit()
    chair = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    page = chair.get(url).get_data(as_text=True)
    assert "Record the decision" not in page
    assert "the grievance panel decides" in page
    assert chair.submit(f"{url}/decision", GOOD, url).status_code == 403
    assert decisions(session) == 0
