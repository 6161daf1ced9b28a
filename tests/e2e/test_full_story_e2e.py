"""The whole story of one grievance in Chromium, on a phone-sized window, every field and
button found by its visible label, each person signed in as themselves:

an administrator appoints the grievance panel; the chair assigns the new case; the reviewer
writes an internal note and asks the member for information; the member replies; the
reviewer answers from a canned response and decides; the member reads the decision and
appeals; two of the three panel members seated on the appeal vote alike and decide it; the
member's timeline tells all of it, and no member page ever shows the internal note.
No page scrolls sideways.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.services import intake
from tests.e2e.conftest import LiveServer, page_in
from tests.e2e.test_casework_e2e import sign_in
from tests.e2e.test_small_screens import PHONE, overflow
from tests.factories import make_policy_committees, make_user, seat

NOTE = "Zebra-7 checked the card processor's log"  # distinctive: must never reach the member
SUBJECT = "Charged twice for dues"
PANEL = {
    "bo@example.org": "Bo Board",
    "cy@example.org": "Cy Board",
    "di@example.org": "Di Board",
}


@pytest.fixture
def reference(live_server: LiveServer) -> str:
    """A new case filed by a member; a committee with a chair and a reviewer; an
    administrator; three board members, not yet on the panel (the administrator appoints
    them in the browser)."""
    app = live_server.app
    policies = app.extensions["portal.policies"]
    with live_server.session() as session:
        committees = make_policy_committees(session, policies)
        member = make_user(session, Role.MEMBER, email="mina@example.org", name="Mina Member")
        reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
        chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
        make_user(session, Role.ADMIN, email="admin@example.org", name="Ada Admin")
        for email, name in PANEL.items():
            make_user(session, Role.MEMBER, email=email, name=name)
        seat(session, committees["member-services"], reviewer)
        seat(session, committees["member-services"], chair, Seat.CHAIR)
        case = intake.file_grievance(
            session,
            member,
            member,
            intake.Filing(
                category="billing",
                subject=SUBJECT,
                narrative="My card was charged twice for the annual dues in March.",
            ),
            policies,
            app.extensions["portal.store"],
            app.extensions["portal.upload_rules"],
        )
        session.commit()
        return case.reference


class People:
    """One phone-sized browser per person, signed in on first use and kept for the story."""

    def __init__(
        self, chromium: Browser, server: LiveServer, stack: ExitStack, javascript: bool
    ) -> None:
        self.chromium, self.server, self.stack = chromium, server, stack
        self.javascript = javascript
        self.pages: dict[str, Page] = {}

    def __call__(self, email: str) -> Page:
        if email not in self.pages:
            options = {"viewport": PHONE, "locale": "en-GB", "java_script_enabled": self.javascript}
            page = self.stack.enter_context(page_in(self.chromium, **options))
            sign_in(page, self.server, email)
            self.pages[email] = page
        return self.pages[email]


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def people(request, chromium: Browser, live_server: LiveServer) -> Iterator[People]:  # type: ignore[no-untyped-def]
    """Everyone's browsers, with JavaScript on, then off: every step works without it."""
    with ExitStack() as stack:
        yield People(chromium, live_server, stack, javascript=request.param)


def fits(page: Page) -> None:
    """The page has loaded and does not scroll sideways."""
    page.wait_for_load_state()
    assert overflow(page) is None, page.url


def member_sees(page: Page) -> None:
    """A member page: it fits, and the committee's internal note is nowhere in it."""
    fits(page)
    assert NOTE not in page.content(), page.url


def flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def open_from_queue(page: Page, reference: str) -> None:
    page.get_by_role("banner").get_by_role("link", name="Case queue").click()
    fits(page)
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    fits(page)


def test_a_grievance_from_filing_to_the_panels_decision(
    people: People, live_server: LiveServer, reference: str
) -> None:
    # The administrator appoints the grievance panel on the roster page.
    admin = people("admin@example.org")
    admin.goto(live_server.at("/admin/panel"))
    fits(admin)
    for email, name in PANEL.items():
        admin.get_by_label("Email address of the person").fill(email)
        admin.get_by_role("button", name="Appoint to the panel").click()
        flash(admin, f"{name} is now on the grievance panel.")
        fits(admin)
    members = admin.get_by_role("table", name="Members of the grievance panel")
    for name in PANEL.values():
        expect(members).to_contain_text(name)

    # The chair finds the new case in the queue and assigns it.
    chair = people("chair@example.org")
    open_from_queue(chair, reference)
    chair.get_by_label("Assign to").select_option(label="Rita Reviewer (Reviewer)")
    chair.get_by_role("button", name="Assign", exact=True).click()
    flash(chair, "assigned to Rita Reviewer")
    fits(chair)

    # The reviewer notes something for the committee only, then asks the member.
    rev = people("rev@example.org")
    open_from_queue(rev, reference)
    rev.get_by_label("New internal note").fill(NOTE)
    rev.get_by_role("button", name="Save the note").click()
    notes = rev.get_by_role("region", name="Internal notes")
    expect(notes).to_contain_text(NOTE)
    fits(rev)
    rev.get_by_label("Message to the member").fill("Which card was charged twice?")
    rev.get_by_role("button", name="Ask the member for information").click()
    flash(rev, "The clock is paused")
    fits(rev)

    # The member reads the request on their case page and replies.
    member = people("mina@example.org")
    member_sees(member)
    member.get_by_role("link", name=reference, exact=True).click()
    member_sees(member)
    expect(member.get_by_role("region", name="Where things stand")).to_contain_text(
        "The committee is waiting for your reply"
    )
    messages = member.get_by_role("region", name="Messages with the committee")
    expect(messages).to_contain_text("Which card was charged twice?")
    member.get_by_label("Your message").fill("The Visa card ending 4242.")
    member.get_by_role("button", name="Send message").click()
    expect(messages).to_contain_text("The Visa card ending 4242.")
    member_sees(member)

    # The reviewer answers from a canned response, edited, then decides.
    rev.reload()
    expect(rev.get_by_role("region", name="Messages")).to_contain_text("Visa card ending 4242")
    rev.get_by_label("Start from").select_option(label="Resolution")
    rev.get_by_role("button", name="Use this text").click()
    body = rev.get_by_label("Message to the member")
    expect(body).to_have_value(re.compile(rf"^Dear Mina Member,.*{reference}", re.DOTALL))
    fits(rev)
    body.fill(body.input_value() + "\n\nWe refund the second charge to the Visa card.")
    rev.get_by_role("button", name="Send message").click()
    flash(rev, "sent")
    rev.get_by_label("Outcome").select_option(label="Upheld")
    rev.get_by_label("Reasons for the decision").fill("The second charge was our error.")
    rev.get_by_label("Remedy (optional)").fill("We refund the second charge.")
    rev.get_by_label("5.2 Remedies: apology, correction, refund or review of a decision").check()
    rev.get_by_role("button", name="Record the decision").click()
    flash(rev, "The decision was recorded")
    fits(rev)
    # The committee's page shows the note it keeps for itself.
    expect(rev.get_by_role("region", name="Internal notes")).to_contain_text(NOTE)

    # The member reads the decision and appeals it, through a confirmation page.
    member.reload()
    member_sees(member)
    decision = member.get_by_role("region", name="The committee's decision")
    expect(decision).to_contain_text("Upheld")
    expect(decision).to_contain_text("The second charge was our error.")
    expect(decision).to_contain_text("Clause 5.2")
    expect(member.get_by_role("region", name="Messages with the committee")).to_contain_text(
        "We refund the second charge to the Visa card."
    )
    member.get_by_role("link", name="Appeal this decision").click()
    expect(member.get_by_role("heading", level=1)).to_have_text(
        f"Appeal the decision on {reference}?"
    )
    member_sees(member)
    member.get_by_label("Why do you disagree with the decision?").fill(
        "The refund left out the bank's fee for the second charge."
    )
    member.get_by_role("button", name="Send my appeal").click()
    flash(member, "Your appeal is received. It goes to level 3")
    member_sees(member)

    # Two of the three seated panel members vote alike, each with reasons.
    for email, reasons, said in (
        ("bo@example.org", "The bank's fee was caused by our error too.", "Your vote is recorded"),
        ("cy@example.org", "Refund the fee as well as the charge.", "completed the quorum"),
    ):
        panel = people(email)
        open_from_queue(panel, reference)
        seated = panel.get_by_role("region", name="Grievance panel")
        for name in PANEL.values():
            expect(seated).to_contain_text(name)
        panel.get_by_label("Your vote").select_option(label="Upheld")
        panel.get_by_label("Your reasons").fill(reasons)
        panel.get_by_role("button", name="Cast my vote").click()
        flash(panel, said)
        fits(panel)
    votes = panel.get_by_role("table", name="Each member's vote")
    expect(votes).to_contain_text("Bo Board")
    expect(votes).to_contain_text("Cy Board")

    # The member reads the panel's decision, and the timeline tells the whole story.
    member.reload()
    member_sees(member)
    final = member.get_by_role("region", name="The grievance panel's decision")
    expect(final).to_contain_text("decided by 2 of 3 panel members")
    expect(final).to_contain_text("Refund the fee as well as the charge.")
    expect(final).to_contain_text("This decision is final")
    timeline = member.get_by_role("region", name="Timeline").get_by_role("listitem")
    story = [re.sub(r"^.*? — ", "", t).strip() for t in timeline.all_inner_texts()][::-1]
    expected = [
        "Filed online",
        "A reviewer has been assigned",
        "The committee asked you for more information",
        "You sent a message",
        "The committee sent you a message",
        "The committee decided: Upheld",
        "Appealed: “The refund left out the bank's fee",
        "Your appeal moved the grievance to level 3",
        "The grievance panel decided: Upheld",
    ]
    found = iter(story)
    missing = [step for step in expected if not any(step in line for line in found)]
    assert not missing, f"not in this order on the member's timeline: {missing}\n{story}"
    member.get_by_role("banner").get_by_role("link", name="My grievances").click()
    member_sees(member)
    expect(member.get_by_role("row").filter(has_text=reference)).to_contain_text("Decided")
