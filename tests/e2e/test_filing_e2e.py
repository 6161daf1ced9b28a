"""A member files a grievance with evidence, follows it, writes to the committee, withdraws it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.domain.roles import Role
from portal.models.grievances import Grievance, Message
from tests.factories import PASSWORD, make_policy_committees, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def seeded_member(live_server):  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        make_policy_committees(session, live_server.app.extensions["portal.policies"])
        make_user(session, Role.MEMBER, email="mina@example.org", name="Mina Cho")
        session.commit()
    return "mina@example.org"


def test_member_files_follows_messages_and_withdraws(
    member_pages, live_server, seeded_member, tmp_path
):
    page = member_pages.page
    member_pages.sign_in(seeded_member, PASSWORD)
    page.get_by_role("link", name="File a grievance").first.click()
    member_pages.expect_heading("File a grievance")

    page.get_by_label("Dues and billing").check()
    page.get_by_label("Short title").fill("Charged twice for dues")
    page.get_by_label("What happened").fill(
        "My card was charged twice for the annual dues in March."
    )
    page.get_by_label("What outcome would you like? (optional)").fill("A refund")
    page.get_by_role("button", name="Review my grievance").click()

    member_pages.expect_heading("Check your grievance before you send it")
    evidence = tmp_path / "receipt.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.get_by_label("Evidence files (optional)").set_input_files(str(evidence))
    page.get_by_role("button", name="Send my grievance").click()

    member_pages.expect_heading("We have received your grievance")
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"GRV-\d{4}-\d{6}", reference)
    expect(
        page.get_by_text(re.compile(r"We will respond by \w+day \d+ \w+ \d{4} at \d\d:\d\d"))
    ).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"We aim to reach a decision by \w+day \d+ \w+ \d{4}"))
    ).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My grievances").click()
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Charged twice for dues")
    row.get_by_role("link", name=reference).click()
    member_pages.expect_heading(f"{reference}: Charged twice for dues")
    expect(page.get_by_role("link", name="receipt.pdf")).to_be_visible()

    page.get_by_label("Your message").fill("The second charge was on 3 March.")
    page.get_by_role("button", name="Send message").click()
    member_pages.expect_flash("Your message was sent to the committee.")
    expect(page.get_by_text("The second charge was on 3 March.")).to_be_visible()

    page.get_by_role("link", name="withdraw this grievance").click()
    member_pages.expect_heading(f"Withdraw grievance {reference}?")
    page.get_by_label("Why are you withdrawing?").fill("The office refunded me.")
    page.get_by_role("button", name="Withdraw my grievance").click()
    member_pages.expect_flash(f"Grievance {reference} is withdrawn.")

    with live_server.session() as session:
        case = session.scalar(sa.select(Grievance).where(Grievance.reference == reference))
        assert case.status == "withdrawn"
        assert [m.body for m in session.scalars(sa.select(Message))] == [
            "The second charge was on 3 March."
        ]
        assert [a.filename for a in case.attachments] == ["receipt.pdf"]


def test_typing_urgent_words_shows_the_danger_note(member_pages, seeded_member):
    page = member_pages.page
    member_pages.sign_in(seeded_member, PASSWORD)
    member_pages.open("/grievances/new")
    page.get_by_label("What happened").fill("A member threatened me after the meeting.")
    expect(page.get_by_text("This sounds urgent.")).to_be_visible()
