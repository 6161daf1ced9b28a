"""Security headers on every response and friendly error pages."""

from __future__ import annotations

import pytest
from flask import abort

from portal.domain.roles import Role
from tests.factories import PASSWORD, make_user


def _check_headers(response):  # type: ignore[no-untyped-def]
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("url", ["/", "/sign-in", "/does-not-exist", "/policies/"])
def test_headers_on_pages_and_errors(client, url):
    _check_headers(client.get(url))


def test_signed_in_pages_are_never_cached(browser, session):
    make_user(session, email="m@example.org")
    session.commit()
    browser.sign_in("m@example.org", PASSWORD)
    for url in ("/my/grievances", "/account", "/nowhere"):
        response = browser.get(url)
        _check_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_lax(browser, session):
    make_user(session, email="c@example.org")
    session.commit()
    response = browser.sign_in("c@example.org", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (400, "We could not understand that request"),
        (403, "You do not have access to this page"),
        (404, "We could not find that page"),
        (405, "That action is not available here"),
        (413, "That upload is too large"),
        (429, "Too many attempts"),
    ],
)
def test_friendly_error_pages(app, client, status, title):
    from portal.web.access import public

    endpoint = f"boom_{status}"
    if endpoint not in app.view_functions:
        app.view_functions[endpoint] = public(lambda: abort(status))
        app.url_map.add(app.url_rule_class(f"/_boom/{status}", endpoint=endpoint))
    response = client.get(f"/_boom/{status}")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in html and "Traceback" not in html
    _check_headers(response)


def test_405_from_routing(client):
    response = client.delete("/sign-in")
    assert response.status_code == 405
    assert "That action is not available here" in response.get_data(as_text=True)


def test_500_shows_an_incident_and_no_stack_trace(app, client, caplog):
    from portal.web.access import public

    def explode():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals 4242")

    if "explode" not in app.view_functions:
        app.view_functions["explode"] = public(explode)
        app.url_map.add(app.url_rule_class("/_explode", endpoint="explode"))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/_explode")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and "incident" in html
    assert "secret internals" not in html and "Traceback" not in html
    _check_headers(response)


def test_oversized_request_gets_413_page(app, client):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/sign-in", data=big, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "That upload is too large" in response.get_data(as_text=True)


def test_navigation_shows_what_the_role_can_do(browser, session):
    make_user(session, Role.MEMBER, email="nav-m@example.org")
    make_user(session, Role.ADMIN, email="nav-a@example.org")
    session.commit()
    browser.sign_in("nav-m@example.org", PASSWORD)
    html = browser.get("/account").get_data(as_text=True)
    assert "My grievances" in html and ">Users<" not in html
    browser.sign_out()
    browser.sign_in("nav-a@example.org", PASSWORD)
    html = browser.get("/account").get_data(as_text=True)
    assert ">Users<" in html and "My grievances" not in html


def test_layout_has_skip_link_landmarks_and_labels(client):
    html = client.get("/register").get_data(as_text=True)
    assert 'class="skip-link" href="#main"' in html
    assert "<main" in html and "<nav" in html and "<footer" in html
    for field in ("full_name", "email", "member_number", "password", "confirm"):
        assert f'<label for="{field}">' in html, field
