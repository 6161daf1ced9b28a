"""Accounts in a real browser: registering, signing in and out, an administrator granting a role."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.users import User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e


def test_a_new_member_registers_signs_out_and_signs_in_again(member_pages):
    member_pages.register(
        name="Ada Okafor",
        email="ada@example.org",
        member_number="M-1001",
        password="a lantern by the river",
    )
    member_pages.expect_no_grievances()

    member_pages.sign_out()
    member_pages.expect_heading("Sign in")

    member_pages.sign_in("ada@example.org", "a lantern by the river")
    member_pages.expect_no_grievances()


def test_an_administrator_makes_a_member_a_reviewer(live_server, admin_pages):
    with live_server.session() as s:
        make_user(s, Role.ADMIN, email="office@example.org", name="Office Admin")
        member = make_user(s, email="bea@example.org", name="Bea Lindqvist")
        s.commit()
        member_id = member.id

    admin_pages.sign_in("office@example.org", PASSWORD)
    admin_pages.expect_heading("Users")
    admin_pages.search_users("Lindqvist")
    admin_pages.open_user("Bea Lindqvist")
    admin_pages.set_role("Reviewer")
    admin_pages.expect_flash("Roles of Bea Lindqvist updated.")

    with live_server.session() as s:
        person = s.scalars(sa.select(User).where(User.id == member_id)).one()
        assert person.roles == {Role.MEMBER, Role.REVIEWER}
