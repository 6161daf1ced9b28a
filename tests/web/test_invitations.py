"""Invite-only mode: an administrator creates the account, the person sets a password."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.db import database
from portal.domain.roles import Role
from portal.models.users import User
from tests.conftest import Browser, make_settings
from tests.factories import PASSWORD, make_user
from tests.mailbox import link_in, text_of


def test_admin_invites_and_the_mailed_link_sets_a_password_once(browser, session, app, mailbox):
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
    assert "Invitation sent to Omar Said" in html
    assert "An invitation was sent to omar@example.org" in html
    assert "/set-password/" not in html  # the link is for the person, by mail only
    again = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "An invitation was sent to omar@example.org" in again
    browser.sign_out()

    mailbox.deliver()
    [mail] = mailbox.to("omar@example.org")
    # Built from PORTAL_BASE_URL, not from whatever Host header the request carried.
    assert "http://127.0.0.1:5000/set-password/" in text_of(mail)
    path = link_in(mail, "/set-password/")
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
    assert user.email_confirmed  # the invitation reached the address
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
