"""axe-core finds no accessibility violations on the pages people use."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.domain.roles import Role
from tests.factories import PASSWORD, make_policy_committees, make_user

pytestmark = pytest.mark.e2e

AXE = Axe()


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    results = AXE.run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.fixture
def people(live_server):  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        make_policy_committees(session, live_server.app.extensions["portal.policies"])
        make_user(session, Role.MEMBER, email="a11y@example.org", name="Ana Lee")
        make_user(session, Role.ADMIN, email="a11y-admin@example.org", name="Ada Min")
        make_user(session, Role.REVIEWER, email="a11y-rev@example.org", name="Rev Iewer")
        session.commit()


@pytest.fixture(params=["en", "ko"])
def pages(request, chromium, live_server):  # type: ignore[no-untyped-def]
    """A member's browser in each language the portal speaks (Korean sends ko-KR)."""
    from tests.e2e.conftest import MemberPages, page_in

    locale = {"en": "en-GB", "ko": "ko-KR"}[request.param]
    with page_in(chromium, locale=locale) as page:
        yield MemberPages(page, live_server, lang=request.param)


def test_visitor_pages(pages, people):
    found = []
    for path in ("/", "/sign-in", "/register", "/policies/", "/policies/harassment", "/nowhere"):
        pages.open(path)
        found += violations(pages.page)
    assert found == []
    assert pages.page.locator("html").get_attribute("lang") == pages.lang


def test_member_pages(pages, people):
    page, w = pages.page, pages.words
    pages.sign_in("a11y@example.org", PASSWORD)
    found = violations(page)
    pages.open("/grievances/new")
    found += violations(page)
    page.get_by_role("button", name=w["review"]).click()  # empty: the error summary
    found += violations(page)
    page.get_by_label(w["billing"]).check()
    page.get_by_label(w["short_title"]).fill("Charged twice")
    page.get_by_label(w["what_happened"]).fill("Charged twice for dues.")
    page.get_by_role("button", name=w["review"]).click()
    found += violations(page)
    page.get_by_role("button", name=w["send"]).click()
    found += violations(page)
    page.get_by_role("link", name=w["go_to_case"]).click()
    found += violations(page)
    page.get_by_role("link", name=w["withdraw"]).click()
    found += violations(page)
    for path in ("/my/grievances", "/account", "/notifications"):
        pages.open(path)
        found += violations(page)
    assert found == []
    assert page.locator("html").get_attribute("lang") == pages.lang


def test_staff_and_admin_pages(pages, people):
    page = pages.page
    pages.sign_in("a11y-admin@example.org", PASSWORD)
    found = violations(page)
    for path in (
        "/admin/users/invite",
        "/admin/committees",
        "/admin/committees/1",
        "/admin/users/1",
        "/admin/outbox",
    ):
        pages.open(path)
        found += violations(page)
    pages.sign_out()
    pages.sign_in("a11y-rev@example.org", PASSWORD)
    pages.open("/committee/record?q=ana")
    found += violations(page)
    page.get_by_role("link", name=pages.words["record_for"].format(name="Ana Lee")).click()
    found += violations(page)
    assert found == []


def test_keyboard_users_reach_the_skip_link_first_and_it_moves_focus(member_pages, people):
    page = member_pages.page
    member_pages.open("/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"  # the form comes next


def test_filing_works_with_javascript_off(chromium, live_server, people):
    from tests.e2e.conftest import MemberPages, page_in

    with page_in(chromium, java_script_enabled=False) as page:
        pages = MemberPages(page, live_server)
        pages.sign_in("a11y@example.org", PASSWORD)
        pages.open("/grievances/new")
        page.get_by_label("Events and education").check()
        page.get_by_label("Short title").fill("Certificate missing")
        page.get_by_label("What happened").fill("My CPD certificate never arrived.")
        page.get_by_role("button", name="Review my grievance").click()
        page.get_by_role("button", name="Send my grievance").click()
        pages.expect_heading("We have received your grievance")
