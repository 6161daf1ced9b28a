"""Separation of duties in the services: oversight and casework never meet in one account."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import CommitteeMembership, Seat
from portal.services import accounts, committees, demo, directory, duties
from tests.factories import make_committee, make_user, seat

MIXED = (
    "An administrator or auditor cannot also be a reviewer or chair, or sit on the grievance panel."
)


def _audit_count(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0


@pytest.mark.parametrize("oversight", [Role.ADMIN, Role.AUDITOR])
@pytest.mark.parametrize("casework", [Role.REVIEWER, Role.CHAIR])
def test_roles_that_mix_oversight_and_casework_are_refused_in_either_order(
    session, oversight, casework
):
    admin = make_user(session, Role.ADMIN)
    for start, wanted in (
        ({casework}, {casework, oversight}),  # oversight added to a reviewer or chair
        ({oversight}, {oversight, casework}),  # casework added to an administrator or auditor
    ):
        person = make_user(session, *start)
        before = _audit_count(session)
        with pytest.raises(InvalidInput, match=MIXED):
            directory.set_roles(session, admin, person, wanted)
        assert person.roles == start and _audit_count(session) == before


@pytest.mark.parametrize("oversight", [Role.ADMIN, Role.AUDITOR])
def test_a_seated_person_cannot_become_an_administrator_or_auditor(session, oversight):
    admin = make_user(session, Role.ADMIN)
    person = make_user(session, Role.MEMBER, name="Sid Seated")
    seat(session, make_committee(session), person)
    with pytest.raises(InvalidInput, match="Sid Seated sits on a committee"):
        directory.set_roles(session, admin, person, {oversight})
    assert person.roles == {Role.MEMBER}


@pytest.mark.parametrize("oversight", [Role.ADMIN, Role.AUDITOR])
@pytest.mark.parametrize("kind", [Seat.REVIEWER, Seat.CHAIR])
def test_an_administrator_or_auditor_cannot_take_a_seat(session, oversight, kind):
    admin = make_user(session, Role.ADMIN)
    person = make_user(session, oversight, name="Olga Oversight")
    committee = make_committee(session)
    with pytest.raises(InvalidInput, match="Olga Oversight is an administrator or auditor"):
        committees.add_member(session, admin, committee, person, kind)
    assert person.roles == {oversight}
    assert not session.scalar(sa.select(CommitteeMembership.user_id))


def test_nobody_changes_their_own_roles_or_seats(session):
    admin = make_user(session, Role.ADMIN)
    own = "You cannot change your own roles or seats."
    for roles in ({Role.ADMIN, Role.REVIEWER}, {Role.MEMBER}, {Role.ADMIN}):
        with pytest.raises(InvalidInput, match=own):
            directory.set_roles(session, admin, admin, roles)
    with pytest.raises(InvalidInput, match=own):
        committees.add_member(session, admin, make_committee(session), admin, Seat.CHAIR)
    assert admin.roles == {Role.ADMIN} and not duties.is_seated(session, admin)


def test_an_invitation_cannot_mix_oversight_and_casework(session):
    admin = make_user(session, Role.ADMIN)
    with pytest.raises(InvalidInput, match=MIXED):
        accounts.invite(
            session,
            admin,
            full_name="New Person",
            email="new@example.org",
            member_number=None,
            roles={Role.AUDITOR, Role.CHAIR},
        )
    assert accounts.normalise_email("new@example.org")[1] not in set(
        session.scalars(sa.select(accounts.User.email_key))
    )


def test_allowed_changes_still_work(session):
    admin = make_user(session, Role.ADMIN)
    other = make_user(session, Role.ADMIN)
    directory.set_roles(session, admin, other, {Role.MEMBER})  # demote another administrator
    directory.set_roles(session, admin, other, {Role.MEMBER, Role.REVIEWER})
    committees.add_member(session, admin, make_committee(session), other, Seat.CHAIR)
    assert other.roles == {Role.MEMBER, Role.REVIEWER, Role.CHAIR}


def test_create_admin_only_makes_new_accounts(session):
    """`flask users create-admin` cannot turn an existing reviewer into an administrator."""
    make_user(session, Role.REVIEWER, email="rev@example.org")
    with pytest.raises(InvalidInput, match="already exists"):
        accounts.create_administrator(
            session, full_name="Rev", email="rev@example.org", password="long enough password 1"
        )


def test_the_demo_accounts_keep_oversight_and_casework_apart():
    for account in demo.demo_accounts():
        if account.role in {Role.ADMIN, Role.AUDITOR}:
            assert account.committee is None, account.email


@pytest.mark.parametrize("oversight", [Role.ADMIN, Role.AUDITOR])
def test_an_account_that_already_mixes_them_does_no_casework(session, oversight):
    """Data written before the rule: the committee role and seat count for nothing."""
    person = make_user(session, oversight, Role.REVIEWER)
    seat(session, make_committee(session), person)
    assert not duties.does_casework(person)
    with pytest.raises(PermissionDenied):
        duties.require_casework(person)
    assert duties.does_casework(make_user(session, Role.REVIEWER))
