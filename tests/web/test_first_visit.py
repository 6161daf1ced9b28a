"""What a first visit expects: an icon, a description, small cached static files; and the
form details that keep a member's text whole (limits stated, never cut), tap-to-call
numbers, and the identity choice offered only where the category allows it."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from markupsafe import escape

from tests.conftest import form_tokens
from tests.web.conftest import FIELDS, file_grievance

STYLESHEET_RE = re.compile(r'<link rel="stylesheet" href="(/static/portal\.([0-9a-f]{12})\.css)">')


def test_the_favicon_is_there(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<svg")
    assert "max-age" in response.headers["Cache-Control"]
    page = client.get("/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert icon and client.get(icon.group(1)).status_code == 200


@pytest.mark.parametrize("path", ["/", "/sign-in", "/register", "/policies/", "/policies/ethics"])
def test_public_pages_describe_themselves(client, path):
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<meta name="description" content="([^"]{30,})">', html)
    assert match, path


def test_the_description_speaks_the_readers_language(client, app):
    html = client.get("/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert '<meta name="description" content="협회에' in html
    ethics = app.extensions["portal.policies"].categories["ethics"].description
    category = client.get("/policies/ethics").get_data(as_text=True)
    assert f'<meta name="description" content="{escape(ethics.in_language("en"))}">' in category


def test_pages_link_the_fingerprinted_stylesheet_served_compressed_and_cached(client, app):
    html = client.get("/").get_data(as_text=True)
    found = STYLESHEET_RE.search(html)
    assert found, "the page should link portal.<hash>.css"
    url = found.group(1)
    plain = (Path(app.static_folder) / "portal.css").read_bytes()

    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "immutable" in zipped.headers["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", zipped.headers["Cache-Control"]).group(1)) >= 31536000
    assert zipped.headers["X-Content-Type-Options"] == "nosniff"
    assert gzip.decompress(zipped.data) == plain
    assert len(zipped.data) < len(plain) / 2

    squeezed = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.data) == plain

    raw = client.get(url)
    assert "Content-Encoding" not in raw.headers and raw.data == plain


def test_scripts_are_fingerprinted_and_the_csp_still_forbids_inline_code(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert re.search(r'<script src="/static/forms\.[0-9a-f]{12}\.js" defer></script>', html)
    assert "<script>" not in html and " style=" not in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


# --- forms: limits stated, text never cut -------------------------------------------


def test_long_fields_state_their_limit_and_nothing_cuts_pasted_text(member_browser):
    html = member_browser.get("/grievances/new").get_data(as_text=True)
    assert "maxlength" not in html
    assert html.count("Up to 20,000 characters.") == 3  # narrative, people, outcome
    assert "Up to 200 characters." in html
    assert 'data-limit="20000"' in html and 'data-limit="200"' in html


def test_the_korean_form_states_the_limit_too(member_browser):
    html = member_browser.get("/grievances/new", headers={"Accept-Language": "ko"})
    assert "최대 20,000자까지 입력할 수 있습니다." in html.get_data(as_text=True)


def test_too_long_a_title_is_refused_with_the_limit_and_kept_whole(member_browser):
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    title = "x" * 201
    response = member_browser.client.post(
        "/grievances/new",
        data={**form_tokens(page), **FIELDS, "subject": title, "action": "review"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    # Refused: the form comes back (through a redirect to its draft) with the limit stated.
    assert [r.status_code for r in response.history] == [303]
    assert "draft=" in response.request.url
    assert "200 characters" in html
    assert f'value="{title}"' in html  # everything typed is kept, uncut


def test_message_and_withdrawal_limits_are_stated(member_browser):
    case_url = file_grievance(member_browser).headers["Location"].replace("/acknowledgement", "")
    case = member_browser.get(case_url).get_data(as_text=True)
    assert "Up to 10,000 characters." in case and "maxlength" not in case
    withdraw = member_browser.get(case_url + "/withdraw").get_data(as_text=True)
    assert "Up to 2,000 characters." in withdraw and "maxlength" not in withdraw


def test_the_service_refuses_an_overlong_withdrawal_reason(app, session, member, committees):
    from portal.domain.errors import InvalidInput
    from portal.services import cases, intake

    policies = app.extensions["portal.policies"]
    case = intake.file_grievance(
        session,
        member,
        member,
        intake.Filing(category="billing", subject="Charged", narrative="Twice."),
        policies,
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
    )
    with pytest.raises(InvalidInput) as refused:
        cases.withdraw(session, member, case, "r" * (cases.MAX_REASON + 1), policies.calendar)
    assert refused.value.field == "reason"


# --- the identity choice and the phone numbers ------------------------------------------


def _identity_box(html: str) -> str:
    return re.search(r'<input type="checkbox" id="hide_identity"[^>]*>', html).group(0)


def test_hiding_identity_is_disabled_with_the_reason_for_a_category_that_refuses_it(
    member_browser,
):
    html = member_browser.get("/grievances/new?category=billing").get_data(as_text=True)
    assert " disabled" in _identity_box(html)
    assert (
        "For “Dues and billing” the committee needs to know who you are, so this is not available."
        in html
    )
    assert "Allowed for: " in html and "Harassment" in html


def test_hiding_identity_is_offered_for_a_category_that_allows_it(member_browser):
    html = member_browser.get("/grievances/new?category=harassment").get_data(as_text=True)
    assert " disabled" not in _identity_box(html)
    assert re.search(r'id="hide_identity-reason"[^>]*hidden', html)


def test_the_server_still_refuses_hiding_identity_where_not_allowed(member_browser):
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    response = member_browser.client.post(
        "/grievances/new",
        data={**form_tokens(page), **FIELDS, "hide_identity": "y", "action": "review"},
        follow_redirects=True,
    )
    assert "draft=" in response.request.url  # refused: back to the form, not on to review
    assert "your identity cannot be hidden" in response.get_data(as_text=True)


def test_the_safety_notice_numbers_can_be_called(member_browser):
    html = member_browser.get("/grievances/new").get_data(as_text=True)
    assert '<a href="tel:999" class="tel">999</a>' in html
    assert '<a href="tel:02079460000" class="tel">020 7946 0000</a>' in html
    assert "tel:2026" not in html


def test_policy_pages_link_the_numbers_without_breaking_markdown(client):
    html = client.get("/policies/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert '<a href="tel:999" class="tel">999</a>' in html
    assert "<li>" in html and "&lt;a" not in html


def test_numbers_inside_links_code_or_longer_numbers_stay_as_they_are():
    from portal.web.phones import link_phones
    from portal.web.public.views import render_markdown

    numbers = ("999", "112")
    html = render_markdown(
        "Call 999. Not `999`, not 19999, not [112](https://example.org).", numbers
    )
    assert html.count("tel:") == 1 and "<code>999</code>" in html and "19999" in html
    assert link_phones("<b>999</b>", numbers) == (
        '&lt;b&gt;<a href="tel:999" class="tel">999</a>&lt;/b&gt;'
    )
