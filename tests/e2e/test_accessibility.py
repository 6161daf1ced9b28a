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


def test_visitor_pages(member_pages, people):
    found = []
    for path in ("/", "/sign-in", "/register", "/policies/", "/policies/harassment", "/nowhere"):
        member_pages.open(path)
        found += violations(member_pages.page)
    assert found == []


def test_member_pages(member_pages, people):
    page = member_pages.page
    member_pages.sign_in("a11y@example.org", PASSWORD)
    found = violations(page)
    member_pages.open("/grievances/new")
    found += violations(page)
    page.get_by_role("button", name="Review my grievance").click()  # empty: the error summary
    found += violations(page)
    page.get_by_label("Dues and billing").check()
    page.get_by_label("Short title").fill("Charged twice")
    page.get_by_label("What happened").fill("Charged twice for dues.")
    page.get_by_role("button", name="Review my grievance").click()
    found += violations(page)
    page.get_by_role("button", name="Send my grievance").click()
    found += violations(page)
    page.get_by_role("link", name="Go to GRV-").click()
    found += violations(page)
    page.get_by_role("link", name="withdraw this grievance").click()
    found += violations(page)
    member_pages.open("/my/grievances")
    found += violations(page)
    member_pages.open("/account")
    found += violations(page)
    assert found == []


def test_staff_and_admin_pages(member_pages, people):
    page = member_pages.page
    member_pages.sign_in("a11y-admin@example.org", PASSWORD)
    found = violations(page)
    for path in (
        "/admin/users/invite",
        "/admin/committees",
        "/admin/committees/1",
        "/admin/users/1",
    ):
        member_pages.open(path)
        found += violations(page)
    member_pages.sign_out()
    member_pages.sign_in("a11y-rev@example.org", PASSWORD)
    member_pages.open("/committee/record?q=ana")
    found += violations(page)
    page.get_by_role("link", name="Record for Ana Lee").click()
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
    from tests.e2e.conftest import MemberPages

    context = chromium.new_context(java_script_enabled=False)
    try:
        pages = MemberPages(context.new_page(), live_server)
        pages.sign_in("a11y@example.org", PASSWORD)
        pages.open("/grievances/new")
        page = pages.page
        page.get_by_label("Events and education").check()
        page.get_by_label("Short title").fill("Certificate missing")
        page.get_by_label("What happened").fill("My CPD certificate never arrived.")
        page.get_by_role("button", name="Review my grievance").click()
        page.get_by_role("button", name="Send my grievance").click()
        pages.expect_heading("We have received your grievance")
    finally:
        context.close()


def test_korean_pages(korean_member_pages, people):
    """The same pages, read by a Korean browser: lang="ko" and every label still tied to its field."""
    pages, page = korean_member_pages, korean_member_pages.page
    found = []
    for path in ("/", "/sign-in", "/register", "/policies/", "/policies/harassment", "/nowhere"):
        pages.open(path)
        found += violations(page)
    pages.sign_in("a11y@example.org", PASSWORD)
    found += violations(page)
    pages.open("/grievances/new")
    found += violations(page)
    page.get_by_role("button", name="신청 내용 확인하기").click()  # empty: the error summary
    found += violations(page)
    page.get_by_label("회비 및 청구").check()
    page.get_by_label("짧은 제목").fill("이중 청구")
    page.get_by_label("있었던 일").fill("회비가 두 번 청구되었습니다.")
    page.get_by_role("button", name="신청 내용 확인하기").click()
    found += violations(page)
    page.get_by_role("button", name="고충 신청 보내기").click()
    found += violations(page)
    page.get_by_role("link", name=" 보기").click()
    found += violations(page)
    page.get_by_role("link", name="이 고충 신청을 취하").click()
    found += violations(page)
    for path in ("/my/grievances", "/account"):
        pages.open(path)
        found += violations(page)
    assert found == []
    assert page.locator("html").get_attribute("lang") == "ko"


def test_korean_staff_and_admin_pages(korean_member_pages, people):
    pages, page = korean_member_pages, korean_member_pages.page
    pages.sign_in("a11y-admin@example.org", PASSWORD)
    found = violations(page)
    for path in (
        "/admin/users/invite",
        "/admin/committees",
        "/admin/committees/1",
        "/admin/users/1",
    ):
        pages.open(path)
        found += violations(page)
    page.get_by_role("banner").get_by_role("button", name="로그아웃").click()
    pages.sign_in("a11y-rev@example.org", PASSWORD)
    pages.open("/committee/record?q=ana")
    found += violations(page)
    page.get_by_role("link", name="Ana Lee 님 대리 접수").click()
    found += violations(page)
    assert found == []
