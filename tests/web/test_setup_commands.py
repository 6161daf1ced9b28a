"""Setting up a real installation without the demo."""

from __future__ import annotations

import sqlalchemy as sa

from portal import create_app
from portal.db import database
from portal.domain.roles import Role
from portal.models.committees import Committee
from portal.models.users import User
from tests.conftest import Browser, make_settings


def test_create_admin_then_sign_in(app, runner, session):
    result = runner.invoke(
        args=["users", "create-admin", "--email", "Chair@Assoc.org", "--name", "Jo Head"],
        input="a long and private phrase\na long and private phrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Administrator Chair@assoc.org created." in result.output
    user = session.scalar(sa.select(User).where(User.email_key == "chair@assoc.org"))
    assert user.roles == {Role.ADMIN}
    assert (
        Browser(app.test_client())
        .sign_in("chair@assoc.org", "a long and private phrase")
        .status_code
        == 303
    )
    weak = runner.invoke(
        args=["users", "create-admin", "--email", "b@assoc.org", "--name", "B"],
        input="password1234\npassword1234\n",
    )
    assert weak.exit_code != 0 and "too common" in weak.output


def test_committees_sync_creates_what_the_policy_names(app, runner, session):
    session.add(Committee(slug="ethics", name="Old name", description=""))
    session.commit()
    result = runner.invoke(args=["committees", "sync"])
    assert result.exit_code == 0, result.output
    assert "updated ethics: Ethics & Professional Conduct" in result.output
    assert "created member-services: Member Services" in result.output
    slugs = set(session.scalars(sa.select(Committee.slug)))
    assert slugs == set(app.extensions["portal.policies"].committees)
    again = runner.invoke(args=["committees", "sync"])
    assert "0 change(s)" in again.output


def test_demo_seed_is_refused_in_production(instance, database_url, app):
    production = create_app(make_settings(instance, database_url, env="production"))
    database(production).sessionmaker = database(app).sessionmaker
    result = production.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "not for production" in result.output


def test_admin_can_set_the_policy_short_name_of_a_committee(browser, session):
    from tests.factories import PASSWORD, make_user

    make_user(session, Role.ADMIN, email="setup@example.org")
    session.commit()
    browser.sign_in("setup@example.org", PASSWORD)
    response = browser.submit(
        "/admin/committees",
        {"name": "Ethics & Professional Conduct", "description": "", "slug": "ethics"},
        follow_redirects=True,
    )
    assert "<code>ethics</code>" in response.get_data(as_text=True)
