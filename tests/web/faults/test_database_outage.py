"""The database goes away: the portal's own 503 page, then recovery without a restart.

Each test cuts a private TCP proxy between the app and PostgreSQL (see conftest), so the
outage is real for the app and invisible to every other test.
"""

from __future__ import annotations

import logging
import time

import flask
import sqlalchemy as sa

from portal import create_app
from portal.db import database
from portal.models.grievances import Grievance
from portal.security import keys as keyring
from tests.conftest import Browser, csrf_token, form_tokens, make_settings
from tests.factories import PASSWORD
from tests.web.conftest import FIELDS
from tests.web.faults.conftest import ProxiedPortal, keys_restored, needs_postgres

pytestmark = needs_postgres


def signed_in_member(portal: ProxiedPortal) -> Browser:
    browser = Browser(portal.app.test_client())
    assert browser.sign_in("filer@example.org", PASSWORD).status_code == 303
    return browser


def assert_outage_page(response, title: str = "The grievance portal is briefly unavailable"):  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in page
    assert '<main id="main"' in page  # the portal's own layout
    for leak in ("Traceback", "SELECT", "sqlalchemy", "psycopg", "OperationalError"):
        assert leak not in page
    return page


def fill_the_pool(portal: ProxiedPortal, size: int = 5) -> None:
    """Leave `size` idle connections in the app's pool, all of which the outage will kill."""
    engine = database(portal.app).engine
    held = [engine.connect() for _ in range(size)]
    for conn in held:
        conn.exec_driver_sql("SELECT 1")
    for conn in held:
        conn.close()
    assert engine.pool.checkedin() >= size  # type: ignore[attr-defined]


def test_every_request_gets_the_outage_page_and_the_portal_recovers_by_itself(
    proxied_portal, caplog
):
    portal = proxied_portal
    member = signed_in_member(portal)
    assert member.get("/my/grievances").status_code == 200
    form_page = member.get("/grievances/new").get_data(as_text=True)
    fill_the_pool(portal)
    visitor = Browser(portal.app.test_client())
    sign_in_page = visitor.get("/sign-in", headers={"Accept-Language": "ko"}).get_data(as_text=True)

    portal.proxy.cut()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        # Flask-Login loads the member from the database on every request.
        page = assert_outage_page(member.get("/my/grievances"))
        assert "Try this page again" in page and 'href="/my/grievances"' in page
        # A form with its token (the filing form) and one without (CSRF refused): the
        # refusal page needs the signed-in person too.
        assert_outage_page(
            member.client.post(
                "/grievances/new", data={**form_tokens(form_page), **FIELDS, "action": "review"}
            )
        )
        assert_outage_page(member.client.post("/grievances/new", data=FIELDS))
        # A visitor signing in, in Korean, and a script asking for JSON.
        korean = visitor.client.post(
            "/sign-in",
            data={
                "csrf_token": csrf_token(sign_in_page),
                "email": "filer@example.org",
                "password": PASSWORD,
            },
            headers={"Accept-Language": "ko"},
        )
        assert_outage_page(korean, "고충 처리 포털을 잠시 사용할 수 없습니다")
        script = member.client.post(
            "/grievances/triage", json={"subject": "x", "narrative": "y", "category": "billing"}
        )
        assert script.status_code == 503 and script.get_json() == {
            "error": "The grievance portal is briefly unavailable"
        }
    lines = [r for r in caplog.records if r.name == "portal.database"]
    assert len(lines) == 5, [r.getMessage() for r in caplog.records]
    assert all(r.levelno == logging.WARNING for r in lines)
    assert "database unavailable on GET /my/grievances" in lines[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records
    ]
    for record in caplog.records:
        assert "SELECT" not in record.getMessage() and "filer@" not in record.getMessage()

    portal.proxy.restore()
    started = time.monotonic()
    # Five dead connections wait in the pool: the first checkout's ping finds them dead.
    assert member.get("/my/grievances").status_code == 200
    assert time.monotonic() - started < 5
    assert member.get("/grievances/new").status_code == 200
    assert visitor.sign_in("filer@example.org", PASSWORD).status_code == 303


def test_a_connection_dropped_in_the_middle_of_a_filing_is_a_503_and_sending_again_files_once(
    proxied_portal,
):
    portal = proxied_portal
    member = signed_in_member(portal)
    page = member.get("/grievances/new").get_data(as_text=True)
    review = member.client.post(
        "/grievances/new", data={**form_tokens(page), **FIELDS, "action": "review"}
    )
    review_url = review.headers["Location"]
    shown = member.get(review_url).get_data(as_text=True)
    send = {"csrf_token": csrf_token(shown), "action": "submit"}

    engine = database(portal.app).engine

    def drop_on_the_audit_insert(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "INSERT INTO audit_entries" in statement:
            portal.proxy.cut()  # the server is gone while the filing's transaction is open

    sa.event.listen(engine, "before_cursor_execute", drop_on_the_audit_insert)
    try:
        assert_outage_page(member.client.post(review_url, data=send))
    finally:
        sa.event.remove(engine, "before_cursor_execute", drop_on_the_audit_insert)
    assert portal.count(sa.select(sa.func.count()).select_from(Grievance)) == 0

    portal.proxy.restore()
    # Back, and Send again: filed once, and the same form sent a third time finds it.
    again = member.client.post(review_url, data=send)
    assert again.status_code == 303 and "/acknowledgement" in again.headers["Location"]
    assert (
        member.client.post(review_url, data=send).headers["Location"] == (again.headers["Location"])
    )
    assert portal.count(sa.select(sa.func.count()).select_from(Grievance)) == 1


def test_a_connection_lost_after_the_page_was_made_still_serves_it(proxied_portal, caplog):
    """The server goes away between the last query and the end of the request: the page the
    person asked for is still served, and the lost connection is not the next request's.
    (A page that only reads sends nothing at its end on PostgreSQL: it runs without a
    transaction, see portal.db.Database. A request with one open is closed quietly.)"""
    portal = proxied_portal
    member = signed_in_member(portal)

    def cut_before_teardown(sender, response):  # type: ignore[no-untyped-def]
        portal.proxy.drop()

    with flask.request_finished.connected_to(cut_before_teardown, portal.app):
        page = member.get("/grievances/new")  # reads, commits nothing
    assert page.status_code == 200 and "File a grievance" in page.get_data(as_text=True)
    assert member.get("/my/grievances").status_code == 200

    # A request that may write holds a transaction from its first query (here, the refusal
    # of a form sent without its token): the closing ROLLBACK fails when the server went,
    # is logged in one line, and the answer is sent all the same.
    with flask.request_finished.connected_to(cut_before_teardown, portal.app):
        refused = member.client.post("/grievances/new", data={"action": "review"})
    assert refused.status_code == 400
    assert "database connection lost at the end of POST /grievances/new" in caplog.text
    assert member.get("/my/grievances").status_code == 200


def test_a_worker_started_during_the_outage_waits_for_the_database_then_checks_its_keys(
    proxied_portal, tmp_path, caplog
):
    """gunicorn replaces a worker while the database is down: it must start (a worker that
    fails to boot stops gunicorn altogether), answer with the outage page, and check its
    keys before serving anything once the database is back."""
    portal = proxied_portal
    settings = portal.app.extensions["portal.settings"]
    other = tmp_path / "other"
    keyring.init_keys(other / "keys")  # well-formed keys, not this database's
    portal.proxy.cut()
    with keys_restored():
        late = create_app(make_settings(settings.instance_path, settings.resolved_database_url))
        wrong = create_app(make_settings(other, settings.resolved_database_url))
    try:
        assert "keys will be checked on the first request" in caplog.text
        assert_outage_page(late.test_client().get("/sign-in"))
        portal.proxy.restore()
        assert late.test_client().get("/sign-in").status_code == 200
        with keys_restored():
            keyring.install(wrong.extensions["portal.keys"])
            refused = wrong.test_client().get("/sign-in")
        assert refused.status_code == 500
        assert "not the one this database was set up with" in caplog.text
    finally:
        for app in (late, wrong):
            database(app).engine.dispose()
