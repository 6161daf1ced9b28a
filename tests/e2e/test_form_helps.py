"""The small helps on the filing form, in a real browser: a character counter that never cuts
pasted text, the identity choice following the category, targets and focus that are easy
to see and hit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.domain.roles import Role
from tests.factories import PASSWORD, make_policy_committees, make_user


@pytest.fixture
def filer(live_server):  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        make_policy_committees(session, live_server.app.extensions["portal.policies"])
        make_user(session, Role.MEMBER, email="helps@example.org", name="Hel Ps")
        session.commit()


def test_the_counter_counts_and_pasted_text_is_kept_whole(member_pages, filer):
    page = member_pages.page
    member_pages.sign_in("helps@example.org", PASSWORD)
    member_pages.open("/grievances/new")
    title = page.get_by_label("Short title")
    title.fill("x" * 250)  # as a paste does
    assert len(title.input_value()) == 250
    counter = page.locator("#subject-count")
    expect(counter).to_have_text("50 characters too many: please shorten it to 200.")
    expect(counter).to_have_attribute("aria-live", "polite")
    title.fill("Charged twice")
    expect(counter).to_have_text("13 of 200 characters used.")


def test_hiding_identity_follows_the_category(member_pages, filer):
    page = member_pages.page
    member_pages.sign_in("helps@example.org", PASSWORD)
    member_pages.open("/grievances/new")
    box = page.get_by_label("Keep my identity hidden from the committee")
    page.get_by_label("Harassment").check()
    expect(box).to_be_enabled()
    box.check()
    page.get_by_label("Dues and billing").check()
    expect(box).to_be_disabled()
    expect(box).not_to_be_checked()
    expect(page.locator("#hide_identity-reason")).to_have_text(
        "For “Dues and billing” the committee needs to know who you are, so this is not available."
    )
    page.get_by_label("Harassment").check()
    expect(box).to_be_enabled()
    expect(page.locator("#hide_identity-reason")).to_be_hidden()


def _luminance(rgb: str) -> float:
    values = [int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


BACKGROUND = """e => { for (let n = e.parentElement; n; n = n.parentElement) {
  const c = getComputedStyle(n).backgroundColor;
  if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; }"""


def test_focus_rings_stand_out_and_targets_are_big_enough(member_pages, filer):
    page = member_pages.page
    member_pages.sign_in("helps@example.org", PASSWORD)
    member_pages.open("/grievances/new")
    for selector in (
        ".site-header .nav a",
        "#subject",
        "button.button",
        "input[name=category][value=billing]",
    ):
        element = page.locator(selector).first
        element.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus from the keyboard, so :focus-visible applies
        style = element.evaluate(
            "e => [getComputedStyle(e).outlineColor, getComputedStyle(e).outlineWidth,"
            " getComputedStyle(e).boxShadow]"
        )
        outline, width, shadow = style
        behind = element.evaluate(BACKGROUND)
        ring = shadow[: shadow.index(")") + 1]
        best = max(_contrast(outline, behind), _contrast(ring, behind))
        assert width == "3px" and best >= 3, (selector, style, behind)
    for selector in ("input[name=category][value=billing]", "#hide_identity"):
        box = page.locator(selector).bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, selector
