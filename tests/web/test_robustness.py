"""Failure modes a person must never see as a crash: tampered data, floods, uploads."""

from __future__ import annotations

import io

import sqlalchemy as sa

from portal import create_app
from portal.db import database
from portal.extensions import limiter
from portal.models.grievances import Grievance
from portal.security.filecrypt import EphemeralSpool
from tests.conftest import Browser, make_settings
from tests.factories import PASSWORD, make_user
from tests.web.conftest import file_grievance


def test_tampered_case_shows_an_incident_page_not_garbage(member_browser, session, caplog):
    assert file_grievance(member_browser).status_code == 303
    case = session.scalar(sa.select(Grievance))
    blob = bytearray(case.subject_ct)
    blob[-1] ^= 0x01
    session.execute(
        sa.update(Grievance).where(Grievance.id == case.id).values(subject_ct=bytes(blob))
    )
    session.commit()
    response = member_browser.get(f"/grievances/{case.reference}")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "This case could not be opened safely" in html and "incident" in html
    assert "Charged twice" not in html
    assert any("decryption failed" in r.getMessage() for r in caplog.records)


def test_uploads_are_spooled_encrypted(app):
    with app.test_request_context(
        "/",
        method="POST",
        data={"f": (io.BytesIO(b"x"), "a.txt")},
        content_type="multipart/form-data",
    ):
        from flask import request

        assert isinstance(request.files["f"].stream, EphemeralSpool)


def test_repeated_failed_sign_ins_are_slowed_down(instance, database_url, app, session):
    limited = create_app(make_settings(instance, database_url, extra={"ratelimit": True}))
    database(limited).sessionmaker = database(app).sessionmaker
    make_user(session, email="target@example.org")
    session.commit()
    browser = Browser(limited.test_client())
    try:
        statuses = [
            browser.sign_in("target@example.org", "wrong guess").status_code for _ in range(11)
        ]
        html = browser.sign_in("target@example.org", PASSWORD).get_data(as_text=True)
    finally:
        # The limiter object is shared by every app in this process.
        limiter.enabled = False
        limiter.reset()
    assert statuses[:10] == [400] * 10 and statuses[10] == 429
    assert "Too many attempts" in html


def test_nul_bytes_are_refused_politely(browser, client, member_browser):
    assert client.get("/grievances/GRV%00").status_code in {400, 302}
    page = client.get("/sign-in").get_data(as_text=True)
    from tests.conftest import csrf_token

    response = client.post(
        "/sign-in", data={"csrf_token": csrf_token(page), "email": "a\x00@b.c", "password": "x"}
    )
    assert response.status_code == 400
    assert member_browser.get("/my/grievances?page=1%00").status_code == 400


def test_huge_ids_are_not_found_not_a_crash(app, session):
    from portal.domain.roles import Role

    make_user(session, Role.ADMIN, email="ids@example.org")
    make_user(session, Role.REVIEWER, email="desk2@example.org")
    session.commit()
    admin = Browser(app.test_client())
    admin.sign_in("ids@example.org", PASSWORD)
    assert admin.get("/admin/users/1099511627776").status_code == 404
    assert admin.get("/admin/committees/99999999999999999999").status_code == 404
    assert admin.get("/admin/users?page=99999999999999999999").status_code == 200
    staff = Browser(app.test_client())
    staff.sign_in("desk2@example.org", PASSWORD)
    assert staff.get("/committee/record?member=99999999999999999999").status_code == 200
    assert staff.get("/committee/record?member=1099511627776").status_code == 200


def test_a_concurrent_change_is_a_409_page_not_a_crash(app, member_browser, session):
    from sqlalchemy.orm.exc import StaleDataError

    from portal.web.access import public

    def stale():  # type: ignore[no-untyped-def]
        raise StaleDataError("UPDATE statement on table 'grievances' expected to update 1 row(s)")

    if "stale" not in app.view_functions:
        app.view_functions["stale"] = public(stale)
        app.url_map.add(app.url_rule_class("/_stale", endpoint="stale"))
    response = member_browser.get("/_stale")
    assert response.status_code == 409
    assert "Someone changed this grievance at the same moment" in response.get_data(as_text=True)


def test_a_damaged_evidence_file_is_an_incident_not_half_a_download(app, member_browser, session):
    assert (
        file_grievance(
            member_browser, files=[(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")]
        ).status_code
        == 303
    )
    case = session.scalar(sa.select(Grievance))
    attachment = case.attachments[0]
    path = app.extensions["portal.store"].path_of(attachment.storage_id)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    response = member_browser.get(f"/grievances/{case.reference}/evidence/{attachment.id}")
    assert response.status_code == 500
    assert "could not be opened safely" in response.get_data(as_text=True)
    assert "Content-Disposition" not in response.headers
