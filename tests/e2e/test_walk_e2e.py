"""A newcomer's walk, on a phone (390 px) and a desktop (1280 px): the member registers, files
with a failed first attempt, reviews, goes Back, sends, opens the case and withdraws it; an
administrator deactivates an account and removes a committee seat.

At every page: no sideways scroll. After a failed form: the focus is on the error summary and
the summary is on screen. Before each destructive action: the confirmation page, and nothing
changed yet. After Back: an ordinary page, never "Confirm form resubmission". axe-core finds
nothing on the error and confirmation pages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.domain.roles import Role
from portal.models.committees import CommitteeMembership
from portal.models.grievances import Grievance
from portal.models.users import User
from tests.e2e.conftest import MemberPages, Pages, page_in
from tests.e2e.test_accessibility import violations
from tests.factories import PASSWORD, make_committee, make_policy_committees, make_user, seat

pytestmark = pytest.mark.e2e

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Walk:
    """The checks made on every page of the walk; width problems are collected, not fatal at
    once, so one wide table does not hide what the rest of the walk would find."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.too_wide: list[str] = []
        self.axe: list[str] = []

    def here(self) -> None:
        # A click that navigates returns before the new page exists; measure the page loaded.
        self.page.wait_for_load_state()
        fits = self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if not fits:
            width = self.page.evaluate("document.documentElement.scrollWidth")
            self.too_wide.append(f"{self.page.url}: {width}px wide")

    def error_focused(self) -> None:
        """After a failed form: the summary has the focus and is on screen."""
        self.here()
        summary = self.page.locator("#error-summary")
        expect(summary).to_be_focused()
        assert summary.get_attribute("role") == "alert"
        top, height = self.page.evaluate(
            "[document.getElementById('error-summary').getBoundingClientRect().top,"
            " window.innerHeight]"
        )
        assert -1 <= top < height, f"the error summary is off screen ({top}px of {height}px)"
        self.axe += violations(self.page)

    def confirmation(self, title: str, irreversible: bool) -> None:
        # The heading first: measuring the width while the page is still loading finds no
        # document to measure.
        expect(self.page.get_by_role("heading", level=1)).to_have_text(title)
        self.here()
        expect(self.page.get_by_text("This cannot be undone.")).to_have_count(
            1 if irreversible else 0
        )
        self.axe += violations(self.page)

    def back(self, expected_heading: str) -> None:
        """Back: an ordinary page of the portal, not the browser's resubmission page."""
        self.page.go_back()
        self.page.wait_for_load_state()
        assert self.page.url.startswith("http://127.0.0.1"), self.page.url
        html = self.page.content()
        assert "ERR_CACHE_MISS" not in html and "Confirm Form Resubmission" not in html
        expect(self.page.get_by_role("heading", level=1)).to_have_text(expected_heading)
        self.here()


@pytest.fixture
def committees(live_server):  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        make_policy_committees(session, live_server.app.extensions["portal.policies"])
        session.commit()


@pytest.mark.parametrize("screen", VIEWPORTS, ids=str)
def test_member_walk(chromium, live_server, committees, screen, tmp_path: Path):
    with page_in(chromium, viewport=VIEWPORTS[screen]) as page:
        member, walk = MemberPages(page, live_server), Walk(page)

        # Registration: a failed first try, every mistake at once, then the account.
        member.open("/register")
        walk.here()
        page.get_by_label("Full name").fill("Nari Han")
        page.get_by_label("Email address").fill("nari@example")
        page.get_by_label("Password", exact=True).fill("short")
        page.get_by_label("Type the password again").fill("other")
        page.get_by_role("button", name="Create account").click()
        walk.error_focused()
        summary = page.locator("#error-summary")
        expect(summary.get_by_role("link")).to_have_count(3)  # email, password, confirmation
        summary.get_by_role("link").first.click()
        expect(page.get_by_label("Email address")).to_be_focused()
        member.register(name="Nari Han", email="nari@example.org", password=PASSWORD)
        walk.here()

        # Filing: a failed first attempt opens at the summary, each message links to its field.
        page.get_by_role("link", name="File a grievance").first.click()
        walk.here()
        page.get_by_label("Short title").fill("Charged twice for dues")
        page.get_by_role("button", name="Review my grievance").click()
        walk.error_focused()
        expect(page.get_by_label("Short title")).to_have_value("Charged twice for dues")
        summary.get_by_role("link", name=re.compile("What happened")).click()
        expect(page.get_by_label("What happened")).to_be_focused()
        page.get_by_label("Dues and billing").check()
        page.get_by_label("What happened").fill("My card was charged twice in March.")
        page.get_by_role("button", name="Review my grievance").click()
        member.expect_heading("Check your grievance before you send it")
        walk.here()

        # A file over the limit is stopped in the browser, in the same summary, nothing sent.
        review_url = page.url
        big = tmp_path / "scan.pdf"
        with big.open("wb") as f:
            f.write(PDF)
            f.truncate(21 * 1024 * 1024)
        page.get_by_label("Evidence files (optional)").set_input_files(str(big))
        page.get_by_role("button", name="Send my grievance").click()
        walk.error_focused()
        expect(summary).to_contain_text("you can send up to 20 MB at a time")
        assert page.url == review_url

        # Back from the review: the form as typed, never a resubmission page.
        walk.back("File a grievance")
        expect(page.get_by_label("Short title")).to_have_value("Charged twice for dues")
        page.get_by_role("button", name="Review my grievance").click()
        member.expect_heading("Check your grievance before you send it")
        small = tmp_path / "receipt.pdf"
        small.write_bytes(PDF)
        page.get_by_label("Evidence files (optional)").set_input_files(str(small))
        page.get_by_role("button", name="Send my grievance").click()
        member.expect_heading("We have received your grievance")
        walk.here()
        reference = page.locator(".reference").inner_text()

        # Back from the acknowledgement: the case already sent, not the form again.
        walk.back("We have received your grievance")
        with live_server.session() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(Grievance)) == 1

        page.get_by_role("link", name=f"Go to {reference}").click()
        member.expect_heading(f"{reference}: Charged twice for dues")
        walk.here()

        # Withdrawing: the confirmation page first, nothing changed until it is confirmed.
        page.get_by_role("link", name="withdraw this grievance").click()
        walk.confirmation(f"Withdraw grievance {reference}?", irreversible=True)
        page.get_by_role("button", name="Withdraw my grievance").click()
        walk.error_focused()  # the reason is asked for
        with live_server.session() as session:
            case = session.scalar(sa.select(Grievance))
            assert case.status != "withdrawn"
        page.get_by_label("Why are you withdrawing?").fill("The office refunded me.")
        page.get_by_role("button", name="Withdraw my grievance").click()
        member.expect_flash(f"Grievance {reference} is withdrawn.")
        walk.here()
        with live_server.session() as session:
            assert session.scalar(sa.select(Grievance)).status == "withdrawn"

        assert walk.axe == []
        assert walk.too_wide == []


@pytest.mark.parametrize("screen", VIEWPORTS, ids=str)
def test_admin_walk(chromium, live_server, screen):
    with live_server.session() as session:
        make_user(session, Role.ADMIN, email="ada@example.org", name="Ada Min")
        leaving = make_user(session, Role.MEMBER, email="leo@example.org", name="Leo Park")
        reviewer = make_user(session, Role.REVIEWER, email="rae@example.org", name="Rae Moon")
        committee = make_committee(session, "ethics", "Ethics")
        seat(session, committee, reviewer)
        session.commit()
        leaving_id, committee_id = leaving.id, committee.id

    with page_in(chromium, viewport=VIEWPORTS[screen]) as page:
        admin, walk = Pages(page, live_server), Walk(page)
        admin.sign_in("ada@example.org", PASSWORD)
        walk.here()

        # Deactivating: a link to the confirmation page, not a one-click button.
        admin.open(f"/admin/users/{leaving_id}")
        walk.here()
        page.get_by_role("link", name="Deactivate account").click()
        walk.confirmation("Deactivate the account of Leo Park?", irreversible=False)
        with live_server.session() as session:
            assert session.get(User, leaving_id).active
        page.get_by_role("link", name="Cancel").click()
        admin.expect_heading("Leo Park")
        page.get_by_role("link", name="Deactivate account").click()
        page.get_by_role("main").get_by_role("button", name="Deactivate account").click()
        admin.expect_flash("Leo Park is deactivated and signed out everywhere.")
        walk.here()
        with live_server.session() as session:
            assert not session.get(User, leaving_id).active

        # Removing a committee seat: the same pattern.
        admin.open(f"/admin/committees/{committee_id}")
        walk.here()
        page.get_by_role("link", name="Remove Rae Moon").click()
        walk.confirmation("Remove Rae Moon from Ethics?", irreversible=False)
        with live_server.session() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(CommitteeMembership))
        page.get_by_role("button", name="Remove from the committee").click()
        admin.expect_flash("Removed from the committee.")
        walk.here()
        with live_server.session() as session:
            count = sa.select(sa.func.count()).select_from(CommitteeMembership)
            assert session.scalar(count) == 0

        assert walk.axe == []
        assert walk.too_wide == []
