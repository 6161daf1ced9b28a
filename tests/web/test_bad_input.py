"""Input built to break the server gets a plain 4xx answer: JSON bodies and search patterns."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from portal.domain.roles import Role
from portal.web.jsonbody import MAX_JSON_BYTES, nesting_depth
from tests.conftest import Browser, csrf_token
from tests.factories import PASSWORD, make_user

UNREADABLE = "We could not read that request. Please reload the page and try again."
TOO_LARGE = "That request is too large. Nothing was saved."


def _triage(browser: Browser, body: str | bytes, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    token = csrf_token(browser.get("/grievances/new").get_data(as_text=True))
    return browser.client.post(
        "/grievances/triage",
        data=body,
        content_type=content_type,
        headers={"X-CSRFToken": token},
    )


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("100,000 levels deep", "[" * 100_000 + "]" * 100_000, TOO_LARGE),
        ("deep but small", "[" * 30_000 + "]" * 30_000, UNREADABLE),
        ("deep inside a field", '{"subject": ' + "[" * 500 + "]" * 500 + "}", UNREADABLE),
        ("huge", '{"narrative": "' + "a" * (MAX_JSON_BYTES + 1) + '"}', TOO_LARGE),
        ("an array", "[1, 2]", UNREADABLE),
        ("a string", '"text"', UNREADABLE),
        ("a number", "123", UNREADABLE),
        ("null", "null", UNREADABLE),
        ("not JSON", "not json", UNREADABLE),
        ("cut short", '{"subject": "a', UNREADABLE),
        ("a number for text", '{"subject": 5}', UNREADABLE),
        ("an object for text", '{"category": {"slug": "billing"}}', UNREADABLE),
    ],
)
def test_the_triage_endpoint_refuses_bad_json_with_a_400(member_browser, name, body, message):
    response = _triage(member_browser, body)
    assert response.status_code == 400, name
    assert response.get_json() == {"error": message}, name


def test_the_triage_endpoint_wants_json(member_browser):
    response = _triage(member_browser, "subject=hello", "application/x-www-form-urlencoded")
    assert response.status_code == 400 and UNREADABLE in response.get_data(as_text=True)


def test_a_body_over_the_upload_limit_is_a_json_413(member_browser, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = _triage(member_browser, b"{" + b" " * limit + b"}")
    assert response.status_code == 413 and response.get_json() == {"error": TOO_LARGE}


def test_a_good_body_still_gets_suggestions(member_browser):
    response = _triage(member_browser, '{"subject": "Refund", "narrative": ""}')
    assert response.status_code == 200
    assert response.get_json()["urgent"] is False


def test_a_json_request_without_the_form_token_is_a_json_400(member_browser):
    response = member_browser.client.post("/grievances/triage", json={"subject": "x"})
    assert response.status_code == 400 and "This form expired" in response.get_json()["error"]


def test_nesting_depth_ignores_brackets_in_strings():
    assert nesting_depth(b'{"a": "[[[[[[", "b": [1, {"c": "\\"]]]"}]}') == 3
    assert nesting_depth(b"[]") == 1 and nesting_depth(b'"x"') == 0


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    make_user(session, Role.MEMBER, name="Ann Lee", email="ann_lee@example.org")
    make_user(session, Role.MEMBER, name="Annalee Park", email="annalee@example.org")
    make_user(session, Role.MEMBER, name="Bob Stone", email="bob@example.org")
    session.commit()


def test_staff_member_search_takes_percent_and_underscore_literally(browser, session, people):
    make_user(session, Role.REVIEWER, email="desk@example.org", name="Desk Clerk")
    session.commit()
    browser.sign_in("desk@example.org", PASSWORD)
    for query in ("%", "%%", "%%%", "__", "___", "%_%"):
        html = browser.get(f"/committee/record?q={quote(query)}").get_data(as_text=True)
        for name in ("Ann Lee", "Annalee Park", "Bob Stone"):
            assert f"Record for {name}" not in html, query
    html = browser.get("/committee/record?q=n_l").get_data(as_text=True)
    assert "Record for Ann Lee" in html and "Annalee Park" not in html


def test_admin_user_search_takes_percent_and_underscore_literally(browser, session, people):
    make_user(session, Role.ADMIN, email="admin@example.org", name="Ada Admin")
    session.commit()
    browser.sign_in("admin@example.org", PASSWORD)
    for query in ("%", "%%", "__", "%_%"):
        html = browser.get(f"/admin/users?q={quote(query)}").get_data(as_text=True)
        assert "0 people found." in html, query
        assert "Bob Stone" not in html and "Ann Lee" not in html, query
    # Only the one address with an underscore in it.
    for query in ("_", "n_l"):
        html = browser.get(f"/admin/users?q={quote(query)}").get_data(as_text=True)
        assert "1 person found." in html and "Ann Lee" in html, query
        assert "Annalee Park" not in html and "Bob Stone" not in html, query
