"""The survey in a real browser: the link in a mail delivered to a real SMTP server opens the
survey without signing in; the answers count on the chair's results page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from portal.cli.outbox import Worker
from portal.db import utcnow
from portal.domain.roles import Role
from portal.mail.transport import SmtpTransport
from portal.models.committees import Seat
from portal.services import casefile, decisions, surveys
from tests.e2e.conftest import Pages
from tests.factories import PASSWORD, make_case, make_policy_committees, make_user, seat
from tests.mail.conftest import Inbox, free_port

pytestmark = pytest.mark.e2e

SURVEY_LINK = re.compile(r"http://127\.0\.0\.1:5000(/survey/[\w-]+)")


def decided(app, session, reviewer, email: str):  # type: ignore[no-untyped-def]
    """A member's case, decided three days ago by its reviewer (the survey is due)."""
    member = make_user(session, Role.MEMBER, email=email)
    when = utcnow() - timedelta(days=4)
    case = make_case(app, session, member, now=when)
    case.assignee_id = reviewer.id
    decisions.record_decision(
        session,
        reviewer,
        case,
        casefile.reachable(session, reviewer, case),
        outcome="upheld",
        rationale="Reasons.",
        remedy="",
        clauses=["remedies"],
        policies=app.extensions["portal.policies"],
        now=when + timedelta(hours=1),
    )
    return case


def test_a_member_answers_the_survey_from_the_mailed_link_and_the_chair_counts_it(
    live_server, browser_page
):
    app = live_server.app
    policies = app.extensions["portal.policies"]
    with live_server.session() as s:
        services = make_policy_committees(s, policies)["member-services"]
        chair = make_user(s, Role.CHAIR, email="chair@example.org", name="Chidi Chair")
        reviewer = make_user(s, Role.REVIEWER, email="rev@example.org")
        seat(s, services, chair, Seat.CHAIR)
        seat(s, services, reviewer)
        # Four members answered already (from links of their own); a fifth has a mail coming.
        for n in range(4):
            case = decided(app, s, reviewer, f"earlier{n}@example.org")
            token = surveys.open_without_mail(s, case, policies, utcnow() - timedelta(days=2))
            surveys.submit(s, token, surveys.Answers(4, 4, 4, 9), policies)
        decided(app, s, reviewer, "mia@example.org")
        assert surveys.sweep(s, policies, utcnow()).sent == 1
        s.commit()

    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        worker = Worker(app, SmtpTransport("127.0.0.1", inbox.port, timeout=5))
        assert worker.run_once().failed == []
    finally:
        controller.stop()
    [mail] = [m for m in inbox.to("mia@example.org") if "how did we handle" in m.subject]
    [path] = SURVEY_LINK.findall(mail.text)  # under PORTAL_BASE_URL, served here on a free port

    page = browser_page
    page.goto(live_server.at(path))
    expect(page.get_by_role("heading", level=1)).to_have_text("How did we handle your grievance?")
    for question, score in (
        ("How satisfied are you with the outcome of your grievance?", "5"),
        ("How satisfied are you with the way your grievance was handled?", "4"),
        ("How fair was the procedure to you?", "5"),
        ("How likely are you to recommend the association to a colleague?", "10"),
    ):
        page.get_by_role("group", name=question).get_by_label(score, exact=True).check()
    page.get_by_label("Is there anything else you would like to tell us? (optional)").fill(
        "Thank you for listening."
    )
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your answers")
    page.goto(live_server.at(path))  # the link is spent
    expect(page.get_by_text("already answered, or its link has expired")).to_be_visible()

    chair_pages = Pages(page, live_server)
    chair_pages.sign_in("chair@example.org", PASSWORD)
    page.get_by_role("link", name="Survey results").first.click()
    chair_pages.expect_heading("Survey results")
    results = page.get_by_role("region", name="Member Services")
    expect(results.get_by_text("5 answers")).to_be_visible()
    expect(results.get_by_text("Thank you for listening.")).to_be_visible()
