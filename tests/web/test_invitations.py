"""Invite-only mode: an administrator creates the account, the person sets a password."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.db import database
from portal.domain.roles import Role
from portal.models.users import User
from tests.conftest import Browser, make_settings
from tests.factories import PASSWORD, make_user


def test_admin_invites_and_the_link_sets_a_password_once(browser, client, session, app):
    make_user(session, Role.ADMIN, email="boss@example.org")
    session.commit()
    browser.sign_in("boss@example.org", PASSWORD)
    response = browser.submit(
        "/admin/users/invite",
        {
            "full_name": "Omar Said",
            "email": "omar@example.org",
            "member_number": "",
            "roles": ["member", "reviewer"],
        },
    )
    assert response.status_code == 303  # Post/Redirect/Get: Reload sends no second invitation
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitation ready for Omar Said" in html
    again = browser.get(response.headers["Location"])
    assert again.headers["Cache-Control"] == "no-store"
    assert "Invitation ready for Omar Said" in again.get_data(as_text=True)
    link = re.search(r'value="(http://[^"]+/set-password/[^"]+)"', html).group(1)
    # Built from PORTAL_BASE_URL, not from whatever Host header the request carried.
    assert link.startswith("http://127.0.0.1:5000/set-password/")
    path = link.removeprefix("http://127.0.0.1:5000")
    browser.sign_out()

    invited = app.test_client()
    b = Browser(invited)
    page = b.get(path)
    assert "Welcome, Omar Said" in page.get_data(as_text=True)
    done = b.submit(
        path, {"password": "lanterns over the river", "confirm": "lanterns over the river"}
    )
    assert done.status_code == 303
    user = session.scalar(sa.select(User).where(User.email_key == "omar@example.org"))
    session.refresh(user)
    assert user.roles == {Role.MEMBER, Role.REVIEWER}
    # The link works once.
    b.sign_out()
    assert b.get(path).status_code == 404


@pytest.fixture
def invite_app(instance, database_url, app):  # type: ignore[no-untyped-def]
    invite = create_app(make_settings(instance, database_url, registration="invite"))
    database(invite).sessionmaker = database(app).sessionmaker
    return invite


def test_invite_only_mode_has_no_open_registration(invite_app):
    client = invite_app.test_client()
    page = client.get("/register").get_data(as_text=True)
    assert "Accounts are created by invitation" in page
    assert 'name="password"' not in page
    sign_in = client.get("/sign-in").get_data(as_text=True)
    assert "Create an account" not in sign_in
