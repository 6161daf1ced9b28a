"""Working a case in Chromium, fields and buttons found by their visible labels, on a phone-
sized window: the chair assigns, the reviewer answers from a canned response, asks for
information and decides; the member reads the decision. No page scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.services import intake
from tests.e2e.conftest import page_in
from tests.e2e.test_small_screens import PHONE, overflow
from tests.factories import PASSWORD, make_policy_committees, make_user, seat


@pytest.fixture
def reference(live_server):  # type: ignore[no-untyped-def]
    app = live_server.app
    policies = app.extensions["portal.policies"]
    with live_server.session() as session:
        committees = make_policy_committees(session, policies)
        member = make_user(session, Role.MEMBER, email="filer@example.org", name="Fiona Filer")
        member.language = "ko"
        reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
        chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
        seat(session, committees["member-services"], reviewer)
        seat(session, committees["member-services"], chair, Seat.CHAIR)
        case = intake.file_grievance(
            session,
            member,
            member,
            intake.Filing(
                category="billing",
                subject="Charged twice for dues",
                narrative="My card was charged twice for the annual dues in March.",
            ),
            policies,
            app.extensions["portal.store"],
            app.extensions["portal.upload_rules"],
        )
        session.commit()
        return case.reference


def sign_in(page, live_server, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.at("/sign-in"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/sign-in"))


def test_assign_answer_ask_and_decide_by_labels(chromium, live_server, reference):
    url = live_server.at(f"/committee/cases/{reference}")
    with page_in(chromium, viewport=PHONE, locale="en-GB") as page:
        sign_in(page, live_server, "chair@example.org")
        page.goto(url)
        assert overflow(page) is None
        page.get_by_label("Assign to").select_option(label="Rita Reviewer (Reviewer)")
        page.get_by_role("button", name="Assign", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("assigned to Rita Reviewer")

    with page_in(chromium, viewport=PHONE, locale="en-GB") as page:
        sign_in(page, live_server, "rev@example.org")
        page.goto(url)
        page.get_by_label("Start from").select_option(label="We need more information")
        page.get_by_role("button", name="Use this text").click()
        body = page.get_by_label("Message to the member")
        # The member reads Korean: the text is theirs, with the case's reference filled in.
        expect(body).to_have_value(re.compile(rf"^Fiona Filer 님께.*{reference}", re.DOTALL))
        assert overflow(page) is None
        body.fill(body.input_value() + "\n\n어느 카드였는지 알려 주세요.")
        page.get_by_role("button", name="Ask the member for information").click()
        expect(page.get_by_role("status")).to_contain_text("The clock is paused")

        page.get_by_label("Outcome").select_option(label="Upheld")
        page.get_by_label("Reasons for the decision").fill("The second charge was our error.")
        page.get_by_label("Remedy (optional)").fill("We refund the second charge.")
        page.get_by_label(
            "5.2 Remedies: apology, correction, refund or review of a decision"
        ).check()
        page.get_by_role("button", name="Record the decision").click()
        expect(page.get_by_role("status")).to_contain_text("The decision was recorded")
        assert overflow(page) is None

    with page_in(chromium, viewport=PHONE, locale="ko-KR") as page:
        sign_in_ko = page
        sign_in_ko.goto(live_server.at("/sign-in"))
        page.get_by_label("이메일 주소").fill("filer@example.org")
        page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
        page.get_by_role("main").get_by_role("button", name="로그인").click()
        page.goto(live_server.at(f"/grievances/{reference}"))
        decision = page.get_by_role("region", name="위원회의 결정")
        expect(decision).to_contain_text("인용")
        expect(decision).to_contain_text("The second charge was our error.")
        expect(decision).to_contain_text("조항 5.2")
        expect(decision).to_contain_text("이 화면에서 이의를 신청하실 수 있습니다")
        assert overflow(page) is None
