"""The ladder on the committee's case page: level, dates, paused time, and the chair's
extensions within the policy's limits, which the member then reads."""

from __future__ import annotations

import pytest

from portal.domain.roles import Role
from portal.models.committees import Seat
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in


@pytest.fixture
def people(session, committees):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
    chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    seat(session, services, reviewer)
    seat(session, services, chair, Seat.CHAIR)
    session.commit()
    return {"reviewer": reviewer, "chair": chair}


@pytest.fixture
def case(app, session, member, people):  # type: ignore[no-untyped-def]
    found = make_case(app, session, member)
    session.commit()
    return found


def test_the_page_shows_level_dates_and_paused_time(app, case):
    html = signed_in(app, "rev@example.org").get(f"/committee/cases/{case.reference}")
    text = html.get_data(as_text=True)
    assert "Level and promised dates" in text
    assert "Level 1: Review by a committee reviewer, handled by: Reviewer" in text
    assert text.count("Due by ") >= 2 and "None so far" in text
    assert "0 of 2 times the procedure allows" in text
    assert "Move the decision date" not in text  # a reviewer is not a chair
    ko = signed_in(app, "rev@example.org").get(
        f"/committee/cases/{case.reference}", headers={"Accept-Language": "ko"}
    )
    assert "단계와 약속한 기한" in ko.get_data(as_text=True)


def test_a_chair_moves_the_date_and_the_member_reads_why(app, session, case, member_browser):
    chair = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    page = chair.get(url).get_data(as_text=True)
    assert "Move the decision date" in page and "Each move adds at most 10 working days." in page
    before = case.resolution_due_at
    done = chair.submit(
        f"{url}/extend",
        {"extend-days": "3", "extend-reason": "The bank has not answered yet."},
        form_url=url,
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("#escalation")
    page = chair.get(url).get_data(as_text=True)
    assert "The decision date is now " in page and "Carl Chair" in page
    assert "Reason: “The bank has not answered yet.”" in page
    session.refresh(case)
    assert case.extension_count == 1 and case.resolution_due_at > before

    mine = member_browser.get(f"/grievances/{case.reference}").get_data(as_text=True)
    assert "Reason: “The bank has not answered yet.”" in mine


def test_limits_are_reported_on_the_form(app, session, case):
    chair = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    too_far = chair.submit(
        f"{url}/extend", {"extend-days": "11", "extend-reason": "Long."}, form_url=url
    )
    assert too_far.status_code == 400
    assert "Each move may add at most 10 working days." in too_far.get_data(as_text=True)
    no_reason = chair.submit(
        f"{url}/extend", {"extend-days": "2", "extend-reason": ""}, form_url=url
    )
    assert no_reason.status_code == 400
    assert "Give the reason the member will read." in no_reason.get_data(as_text=True)
    for n in range(2):
        ok = chair.submit(
            f"{url}/extend", {"extend-days": "1", "extend-reason": f"Reason {n}."}, form_url=url
        )
        assert ok.status_code == 303
    page = chair.get(url).get_data(as_text=True)
    assert "2 of 2 times the procedure allows" in page and "extend-days" not in page
    third = chair.submit(
        f"{url}/extend", {"extend-days": "1", "extend-reason": "More."}, form_url=url
    )
    assert third.status_code == 400
    assert "already been moved 2 times" in third.get_data(as_text=True)
    session.refresh(case)
    assert case.extension_count == 2


def test_a_reviewer_cannot_move_the_date(app, session, case):
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    refused = reviewer.submit(
        f"{url}/extend", {"extend-days": "2", "extend-reason": "More time."}, form_url=url
    )
    assert refused.status_code == 403
    session.refresh(case)
    assert case.extension_count == 0


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR, Role.CHAIR, Role.PANEL])
def test_nobody_outside_the_case_can_move_its_date(app, session, case, role):
    make_user(session, role, email="outsider@example.org")  # no seat on the committee
    session.commit()
    browser = signed_in(app, "outsider@example.org")
    response = browser.submit(
        f"/committee/cases/{case.reference}/extend",
        {"extend-days": "2", "extend-reason": "Mine."},
        form_url="/account",
    )
    # Oversight roles never reach casework routes; casework roles without a seat get 404.
    assert response.status_code == (403 if role in (Role.ADMIN, Role.AUDITOR) else 404)
    session.refresh(case)
    assert case.extension_count == 0


@pytest.mark.parametrize(
    ("kind", "detail", "english", "korean"),
    [
        (
            "panel.seated",
            "Seated on the panel at level 3: A, B",
            "Seated on the panel at level 3: A, B",
            "3단계 심의위원 배정: A, B",
        ),
        (
            "escalated.appeal",
            "Moved to level 3 (x): the member appealed",
            "The member's appeal moved the case to level 3",
            "신청인의 이의신청으로 사안이 3단계",
        ),
        ("escalated", "Escalated to level 2 (x): high-risk words", "Moved to level 2", "2단계"),
    ],
)
def test_ladder_steps_read_in_the_committee_members_language(app, kind, detail, english, korean):
    from portal.web import ladder_events

    for lang, expected in (("en", english), ("ko", korean)):
        with app.test_request_context(headers={"Accept-Language": lang}):
            assert expected in (ladder_events.staff_text(kind, detail) or "")
