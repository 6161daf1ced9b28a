"""After a failed form the page opens at one error summary that lists every mistake at once,
in the portal's own words, each linked to its field."""

from __future__ import annotations

import re

from tests.conftest import form_tokens

SUMMARY = re.compile(
    r'<div class="error-summary" id="error-summary" role="alert" tabindex="-1" autofocus'
)
LIBRARY = (
    "This field is required.",
    "Field cannot be longer than",
    "Invalid email address.",
    "Not a valid date value.",
    "Not a valid choice.",
)


def summary_links(html: str) -> list[str]:
    box = html[html.index('id="error-summary"') :]
    box = box[: box.index("</div>")]
    return re.findall(r'<a href="#([^"]+)"', box)


def assert_ours(html: str) -> None:
    assert [s for s in LIBRARY if s in html] == []


def test_registration_reports_every_mistake_in_one_round(browser):
    response = browser.submit(
        "/register",
        {
            "full_name": "x" * 201,
            "email": "not an address",
            "member_number": "",
            "password": "short",
            "confirm": "other",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and SUMMARY.search(html)
    assert "Keep the name under 200 characters." in html
    assert "Enter a valid email address, like name@example.org." in html
    assert "The two passwords are not the same." in html
    # The password rules are reported with the rest, not after them.
    assert re.search(r'href="#password">Password: [^<]*characters', html)
    assert summary_links(html) == ["full_name", "email", "password", "confirm"]
    for field_id in summary_links(html):
        assert f'id="{field_id}"' in html
    assert_ours(html)


def test_filing_reports_form_and_intake_rules_together(member_browser):
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    response = member_browser.client.post(
        "/grievances/new",
        data={
            **form_tokens(page),
            "action": "review",
            "category": "billing",
            "subject": "",
            "narrative": "It happened.",
            "occurred_on": "2999-01-01",
            "hide_identity": "y",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    # Refused, the form comes back through a redirect, so Back from the next page is safe.
    assert [r.status_code for r in response.history] == [303]
    assert response.request.path == "/grievances/new" and "draft=" in response.request.url
    assert response.status_code == 200 and SUMMARY.search(html)
    assert "Give your grievance a short title." in html  # the form's check
    assert "cannot be in the future" in html  # the intake rules', in the same round
    assert "your identity cannot be hidden" in html
    assert summary_links(html) == ["subject", "occurred_on", "hide_identity"]
    assert html.count("Give your grievance a short title.") == 2  # summary and field, once each


def test_unreadable_values_get_the_portals_words(member_browser):
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    response = member_browser.client.post(
        "/grievances/new",
        data={
            **form_tokens(page),
            "action": "review",
            "category": "no-such-kind",
            "subject": "Title",
            "narrative": "Text",
            "occurred_on": "31/31/2026",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and SUMMARY.search(html)
    assert 'value="31/31/2026"' in html  # kept as typed
    assert "Choose one of the options shown." in html
    assert "Enter the date as year, month and day, for example 2026-03-02." in html
    assert summary_links(html) == ["category-0", "occurred_on"]
    assert 'id="category-0"' in html
    assert_ours(html)


def test_the_summary_speaks_korean_on_a_korean_page(browser):
    response = browser.submit(
        "/register",
        {"full_name": "", "email": "", "password": "", "confirm": ""},
        headers={"Accept-Language": "ko"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and SUMMARY.search(html)
    assert "Please check the form" not in html
    assert_ours(html)
