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
