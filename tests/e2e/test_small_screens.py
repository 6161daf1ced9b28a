"""At 390 pixels wide no page scrolls sideways: every page of the role matrix, opened by a
role that may see it, with real data (several cases, a long title, long addresses), in
English and in Korean. Tables become stacked rows, label/value lists stack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.services import intake
from tests.e2e.conftest import WORDS, Pages, page_in
from tests.factories import PASSWORD, make_policy_committees, make_user, seat

PHONE = {"width": 390, "height": 844}
LONG_WORD = "Overcharged" + "X" * 48
LONG_SUBJECT = f"{LONG_WORD} twice for the annual dues in March, and then again in April"
LONG_EMAIL = "a.very.long.address.for.wrapping.tests@membership-services.example.org"


@pytest.fixture
def people(live_server):  # type: ignore[no-untyped-def]
    """A member with several cases, staff, an administrator, committees with seats."""
    app = live_server.app
    policies = app.extensions["portal.policies"]
    with live_server.session() as session:
        committees = make_policy_committees(session, policies)
        member = make_user(
            session, Role.MEMBER, email=LONG_EMAIL, name="Ana Lee", member_number="M-2026-000123"
        )
        for category, subject in (
            ("billing", LONG_SUBJECT),
            ("events", "Certificate missing"),
            ("harassment", "Remarks at the seminar"),
        ):
            intake.file_grievance(
                session,
                member,
                member,
                intake.Filing(category=category, subject=subject, narrative=f"{LONG_WORD} " * 20),
                policies,
                app.extensions["portal.store"],
                app.extensions["portal.upload_rules"],
            )
        reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rev Iewer")
        chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Cha Ir")
        make_user(session, Role.ADMIN, email="admin@example.org", name="Ada Min")
        make_user(session, Role.AUDITOR, email="auditor@example.org", name="Au Ditor")
        for n in range(6):
            make_user(session, email=f"member.number.{n}.with.a.long.name@example.org")
        first = next(iter(committees.values()))
        seat(session, first, reviewer)
        seat(session, first, chair, Seat.CHAIR)
        session.commit()
        return {"member": member.id, "committee": first.id}


def overflow(page: Page) -> str | None:
    """None if the page fits the window's width, else what sticks out."""
    # After a click the next page may still be arriving: measure the page, not the gap.
    page.wait_for_load_state()
    page.wait_for_function("document.documentElement && document.body")
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width <= inner:
        return None
    wide = page.evaluate(
        """(inner) => Array.from(document.querySelectorAll('body *'))
             .filter(e => e.getBoundingClientRect().right > inner + 1
                          || e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')
             .slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + (e.id || ''))""",
        inner,
    )
    return f"scrollWidth {width} > {inner}: {wide}"


class Walk:
    """Opens pages as one person and notes each page that scrolls sideways."""

    def __init__(self, pages: Pages) -> None:
        self.pages, self.failures = pages, []

    def check(self, label: str) -> None:
        problem = overflow(self.pages.page)
        if problem:
            self.failures.append(f"{self.pages.lang} {label} ({self.pages.page.url}): {problem}")

    def open(self, *paths: str) -> None:
        for path in paths:
            self.pages.open(path)
            self.check(path)


@pytest.fixture(params=["en", "ko"])
def lang(request):  # type: ignore[no-untyped-def]
    return request.param


def test_no_page_scrolls_sideways_at_390_pixels(chromium, live_server, people, lang):
    policies = live_server.app.extensions["portal.policies"]
    locale = {"en": "en-GB", "ko": "ko-KR"}[lang]
    w = WORDS[lang]
    failures: list[str] = []

    @contextmanager
    def person(email: str | None) -> Iterator[Walk]:
        """A phone-sized browser, signed in as `email` (a visitor if None)."""
        with page_in(chromium, viewport=PHONE, locale=locale) as page:
            walk = Walk(Pages(page, live_server, lang=lang))
            if email:
                walk.pages.sign_in(email, PASSWORD)
                walk.check("start page")
            yield walk
            failures.extend(walk.failures)

    # A visitor: the front door, sign-in, registration, every policy page, a missing page.
    with person(None) as walk:
        walk.open("/", "/sign-in", "/register", "/policies/", "/nowhere")
        walk.open(*(f"/policies/{slug}" for slug in policies.categories))

    # The member: their list, a case with a long title, withdrawing, and a whole filing.
    with person(LONG_EMAIL) as walk:
        page = walk.pages.page
        walk.open("/my/grievances", "/account")
        walk.pages.open("/my/grievances")
        page.get_by_role("link", name="GRV-").first.click()
        walk.check("case page")
        walk.open(page.url.replace(live_server.url, "") + "/withdraw")
        walk.open("/grievances/new")
        page.get_by_role("button", name=w["review"]).click()  # empty: the error summary
        walk.check("filing with errors")
        page.get_by_label(w["billing"]).check()
        page.get_by_label(w["short_title"]).fill(LONG_SUBJECT)
        page.get_by_label(w["what_happened"]).fill(f"{LONG_WORD} " * 30)
        page.get_by_role("button", name=w["review"]).click()
        walk.check("review")
        page.get_by_role("button", name=w["send"]).click()
        expect(page).to_have_url(re.compile(r"/acknowledgement$"))
        walk.check("acknowledgement")

    # Staff recording a grievance: the search, its results, the form.
    for email in ("rev@example.org", "chair@example.org"):
        with person(email) as walk:
            walk.open(
                "/committee/record",
                "/committee/record?q=Ana",
                f"/committee/record?member={people['member']}",
            )

    # The administrator: users (several, long addresses), one user, invitations, committees.
    with person("admin@example.org") as walk:
        walk.open(
            "/admin/users",
            "/admin/users?q=member",
            "/admin/users/invite",
            f"/admin/users/{people['member']}",
            "/admin/committees",
            f"/admin/committees/{people['committee']}",
            "/account",
            "/policies/",
        )

    with person("auditor@example.org") as walk:
        walk.open("/account")

    assert not failures, "\n".join(failures)


def test_tables_stack_into_labelled_rows_and_badges_stay_whole(chromium, live_server, people):
    with page_in(chromium, viewport=PHONE) as page:
        pages = Pages(page, live_server)
        pages.sign_in(LONG_EMAIL, PASSWORD)
        pages.open("/my/grievances")
        cell = page.locator("table.table tbody td").nth(1)
        label = cell.evaluate("e => getComputedStyle(e, '::before').content")
        assert "Title" in label
        assert cell.evaluate("e => getComputedStyle(e).display") == "block"
        # The header row is still there for screen readers, only moved out of sight.
        assert page.locator("table.table thead th").count() == 5
        badge = page.locator(".status").first
        assert badge.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
        box = badge.bounding_box()
        assert box and box["height"] < 40  # one line, not a blob
        page.get_by_role("link", name="GRV-").first.click()
        dl = page.locator("dl.details").first
        assert dl.evaluate("e => getComputedStyle(e).gridTemplateColumns").count(" ") == 0
