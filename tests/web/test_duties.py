"""Separation of duties through the admin pages: an administrator never reaches case content."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from portal import db as portal_db
from portal.domain.errors import DomainError
from portal.domain.roles import Role, duties_clash
from portal.models.committees import CommitteeMembership
from portal.models.users import User
from portal.services import casefile, cases, intake
from tests.conftest import Browser, csrf_token
from tests.factories import PASSWORD, make_committee, make_user

SECRET = "The treasurer moved dues into a private account."
SUBJECT = "Dues moved"


@pytest.fixture
def world(app, session):  # type: ignore[no-untyped-def]
    """An administrator signed in, another administrator, an auditor, a committee and a
    member's case whose text must stay out of the administrator's reach."""
    me = make_user(session, Role.ADMIN, email="me@example.org", name="Ada Admin")
    make_user(session, Role.ADMIN, email="other@example.org", name="Otto Other")
    make_user(session, Role.AUDITOR, email="audit@example.org", name="Aud Itor")
    committee = make_committee(session, "member-services", "Member Services")
    owner = make_user(session, Role.MEMBER, email="owner@example.org", name="Olive Owner")
    case = intake.file_grievance(
        session,
        owner,
        owner,
        intake.Filing(category="billing", subject=SUBJECT, narrative=SECRET),
        app.extensions["portal.policies"],
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
    )
    session.commit()
    browser = Browser(app.test_client())
    assert browser.sign_in("me@example.org", PASSWORD).status_code == 303
    return browser, me, committee, case


def _id(session, email: str) -> int | None:  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(User.id).where(User.email_key == email))


def _post(browser, url, data):  # type: ignore[no-untyped-def]
    """A form sent with this browser's CSRF token (read once from a page: it lasts the
    session); the flashed answer is dropped unread, as the search sends many."""
    if not hasattr(browser, "token"):
        browser.token = csrf_token(browser.get("/admin/users/invite").get_data(as_text=True))
    response = browser.client.post(url, data={"csrf_token": browser.token, **data})
    with browser.client.session_transaction() as cookie:
        cookie.pop("_flashes", None)
    return response


def _roles(browser, session, email, roles):  # type: ignore[no-untyped-def]
    user_id = _id(session, email)
    if user_id is None:
        return None
    return _post(browser, f"/admin/users/{user_id}/roles", {"roles": roles})


def _seat(browser, committee, email, kind):  # type: ignore[no-untyped-def]
    return _post(browser, f"/admin/committees/{committee.id}/seats", {"email": email, "seat": kind})


def _invite(browser, email, roles):  # type: ignore[no-untyped-def]
    return _post(
        browser, "/admin/users/invite", {"full_name": "New Person", "email": email, "roles": roles}
    )


def _appoint(browser, email):  # type: ignore[no-untyped-def]
    return _post(browser, "/admin/panel", {"email": email})


def _unappoint(browser, session, email):  # type: ignore[no-untyped-def]
    user_id = _id(session, email)
    if user_id is None:
        return None
    return _post(browser, f"/admin/panel/{user_id}/remove", {"confirm": "yes"})


A, R, C, M, AU, P = "administrator", "reviewer", "chair", "member", "auditor", "panel"
Action = Callable[..., object]
ACTIONS: dict[str, Action] = {
    "give myself reviewer": lambda b, s, c: _roles(b, s, "me@example.org", [A, R]),
    "give myself chair": lambda b, s, c: _roles(b, s, "me@example.org", [A, C]),
    "make myself only a member": lambda b, s, c: _roles(b, s, "me@example.org", [M]),
    "seat myself as chair": lambda b, s, c: _seat(b, c, "me@example.org", "chair"),
    "seat myself as reviewer": lambda b, s, c: _seat(b, c, "ME@example.org", "reviewer"),
    "make the other admin a reviewer": lambda b, s, c: _roles(b, s, "other@example.org", [A, R]),
    "seat the other admin": lambda b, s, c: _seat(b, c, "other@example.org", "chair"),
    "demote the other admin": lambda b, s, c: _roles(b, s, "other@example.org", [M]),
    "make the other a chair": lambda b, s, c: _roles(b, s, "other@example.org", [M, C]),
    "make the other an admin again": lambda b, s, c: _roles(b, s, "other@example.org", [A]),
    "make the auditor a chair": lambda b, s, c: _roles(b, s, "audit@example.org", [AU, C]),
    "seat the auditor": lambda b, s, c: _seat(b, c, "audit@example.org", "reviewer"),
    "invite an admin reviewer": lambda b, s, c: _invite(b, "mixed@example.org", [A, R]),
    "invite a reviewer": lambda b, s, c: _invite(b, "new@example.org", [R]),
    "make the new reviewer an admin": lambda b, s, c: _roles(b, s, "new@example.org", [A]),
    "make the new reviewer an admin too": lambda b, s, c: _roles(b, s, "new@example.org", [A, R]),
    # The grievance panel: its role on the user page, and its roster page.
    "give myself the panel role": lambda b, s, c: _roles(b, s, "me@example.org", [A, P]),
    "appoint myself to the panel": lambda b, s, c: _appoint(b, "me@example.org"),
    "appoint the other admin to the panel": lambda b, s, c: _appoint(b, "other@example.org"),
    "appoint the auditor to the panel": lambda b, s, c: _appoint(b, "audit@example.org"),
    "make the auditor a panel member": lambda b, s, c: _roles(b, s, "audit@example.org", [AU, P]),
    "make the other a panel member": lambda b, s, c: _roles(b, s, "other@example.org", [M, P]),
    "appoint the new reviewer to the panel": lambda b, s, c: _appoint(b, "new@example.org"),
    "remove the other from the panel": lambda b, s, c: _unappoint(b, s, "other@example.org"),
    "remove myself from the panel": lambda b, s, c: _unappoint(b, s, "me@example.org"),
}


def _state(session) -> tuple:  # type: ignore[no-untyped-def]
    session.expire_all()
    seated = set(session.scalars(sa.select(CommitteeMembership.user_id)))
    return tuple(
        (u.email_key, tuple(sorted(u.roles)), u.id in seated)
        for u in session.scalars(sa.select(User).order_by(User.email_key))
    )


def _check_no_reach(browser, session, me_email, state, case) -> list[str]:  # type: ignore[no-untyped-def]
    """In this state: nobody mixes the duties, the signed-in administrator holds only its
    role, and neither its pages nor the case services give it the case's content."""
    problems = []
    for email, roles, seated in state:
        if duties_clash(frozenset(Role(r) for r in roles), seated):
            problems.append(f"{email} mixes oversight and casework: {roles} seated={seated}")
        if email == me_email and (roles != (Role.ADMIN,) or seated):
            problems.append(f"I hold {roles} seated={seated}")
    ref = case.reference
    for url in (
        f"/grievances/{ref}",
        f"/grievances/{ref}/acknowledgement",
        f"/committee/record/{ref}",
        "/committee/record?q=Olive",
        f"/committee/record?q={ref}",
        f"/committee/cases/{ref}",
        f"/committee/cases/{ref}/evidence/{case.id}",
        "/committee/queue",
    ):
        response = browser.get(url)
        html = response.get_data(as_text=True)
        if response.status_code not in (403, 404) or SECRET in html or "Olive Owner" in html:
            problems.append(f"GET {url}: {response.status_code}")
    if (status := _post(browser, f"/committee/cases/{ref}/panel/vote", {}).status_code) != 404:
        problems.append(f"POST panel vote: {status}")
    # The administrator's own pages list people and committees, never a case's text.
    people = [u for u in session.scalars(sa.select(User.id))]
    pages = ["/admin/users", "/admin/committees", "/admin/panel"]
    pages += [f"/admin/users/{uid}" for uid in people]
    pages += [
        f"/admin/committees/{c}"
        for c in session.scalars(sa.select(CommitteeMembership.committee_id).distinct())
    ]
    for url in pages:
        html = browser.get(url).get_data(as_text=True)
        if SECRET in html or SUBJECT in html:
            problems.append(f"GET {url} shows the case")
    # And the services themselves, asked directly as this administrator.
    me = session.scalar(sa.select(User).where(User.email_key == me_email))
    for name, read in (
        ("casefile.committee_case", lambda: casefile.committee_case(session, me, ref)),
        ("cases.member_case", lambda: cases.member_case(session, me, ref)),
    ):
        try:
            read()
        except DomainError:
            continue
        problems.append(f"{name} opened the case")
    return problems


def test_no_sequence_of_admin_actions_opens_a_case_to_the_administrator(world, session):
    """Every state the admin pages can reach from here, by breadth-first search over the
    actions above (each explored state rebuilt once by replaying its path in a savepoint,
    each action tried in a savepoint inside it): in
    none does any account mix oversight with casework, and in none does the signed-in
    administrator hold a committee role or seat, or read the member's case."""
    browser, me, committee, case = world
    connection = portal_db.database(browser.client.application).sessionmaker.kw["bind"]
    start = _state(session)
    paths: dict[tuple, list[str]] = {start: []}
    frontier = [start]
    tried = 0
    problems = _check_no_reach(browser, session, me.email_key, start, case)
    while frontier:
        following = []
        for state in frontier:
            session.rollback()  # the test session holds no savepoint around these
            rebuilt = connection.begin_nested()
            try:
                for step in paths[state]:
                    ACTIONS[step](browser, session, committee)
                # Release (not roll back) the test session's own savepoint: it was opened
                # before the replayed requests, so rolling it back would undo them.
                session.commit()
                for name, action in ACTIONS.items():
                    savepoint = connection.begin_nested()
                    try:
                        before = _state(session)
                        assert before == state, paths[state]  # the rebuild holds
                        response = action(browser, session, committee)
                        tried += 1
                        after = _state(session)
                        if response is not None and response.status_code >= 500:
                            problems.append(f"{name}: {response.status_code}")
                        if after != before and after not in paths:
                            paths[after] = [*paths[state], name]
                            following.append(after)
                            problems += [
                                f"{' → '.join(paths[after])}: {p}"
                                for p in _check_no_reach(
                                    browser, session, me.email_key, after, case
                                )
                            ]
                    finally:
                        session.rollback()
                        savepoint.rollback()
            finally:
                session.rollback()
                rebuilt.rollback()
        frontier = following
    assert not problems, problems
    assert tried >= len(ACTIONS) * 4 and len(paths) >= 5  # the search did go somewhere
    # The allowed steps were taken: another administrator, once demoted, can be a chair.
    assert any("make the other a chair" in path for path in paths.values())
    # ... and, once a member, a panel member.
    assert any("make the other a panel member" in path for path in paths.values())


def test_each_refusal_on_the_admin_pages_says_why_and_changes_nothing(world, session):
    browser, me, committee, _case = world
    other = _id(session, "other@example.org")
    page = f"/admin/users/{other}"
    cases = [
        (
            f"/admin/users/{me.id}/roles",
            {"roles": [A, R]},
            f"/admin/users/{me.id}",
            "You cannot change your own roles or seats. Ask another administrator.",
        ),
        (
            f"/admin/users/{other}/roles",
            {"roles": [A, C]},
            page,
            "An administrator or auditor cannot also be a reviewer or chair, or sit on the grievance panel.",
        ),
        (
            f"/admin/committees/{committee.id}/seats",
            {"email": "audit@example.org", "seat": "chair"},
            None,
            "Aud Itor is an administrator or auditor and cannot sit on a committee.",
        ),
        (
            f"/admin/committees/{committee.id}/seats",
            {"email": "me@example.org", "seat": "chair"},
            None,
            "You cannot change your own roles or seats.",
        ),
        (
            "/admin/users/invite",
            {"full_name": "N", "email": "n@example.org", "roles": [AU, R]},
            None,
            "An administrator or auditor cannot also be a reviewer or chair, or sit on the grievance panel.",
        ),
    ]
    before = _state(session)
    for url, data, form_url, message in cases:
        response = browser.submit(url, data, form_url=form_url, follow_redirects=True)
        assert message in response.get_data(as_text=True), url
        assert _state(session) == before, url
    own = browser.get(f"/admin/users/{me.id}").get_data(as_text=True)
    assert "Save roles" not in own and "You cannot change your own roles" in own


def test_seats_written_around_the_rules_still_open_nothing(app, world, session):
    """Even a committee seat and a panel seat put in the database by hand (as data from
    before the rules might hold) give an administrator or auditor no case: the pages
    answer 404 and the services refuse."""
    from portal.models.grievances import PanelSeat

    browser, me, committee, case = world
    auditor = session.scalar(sa.select(User).where(User.email_key == "audit@example.org"))
    case.status, case.escalation_level = "appealed", 3
    for person in (me, auditor):
        session.add(CommitteeMembership(committee=committee, user=person, seat="chair"))
        session.add(PanelSeat(grievance_id=case.id, level=3, user_id=person.id))
    session.commit()
    audit_browser = Browser(app.test_client())
    assert audit_browser.sign_in("audit@example.org", PASSWORD).status_code == 303
    ref = case.reference
    for who, person in ((browser, me), (audit_browser, auditor)):
        for url in (f"/committee/cases/{ref}", f"/committee/cases/{ref}/evidence/{case.id}"):
            response = who.get(url)
            assert response.status_code == 404, url
            assert SECRET not in response.get_data(as_text=True)
        vote = who.submit(
            f"/committee/cases/{ref}/panel/vote",
            {"panel-outcome": "upheld", "panel-opinion": "x"},
            form_url="/account",
        )
        assert vote.status_code == 404
        with pytest.raises(DomainError):
            casefile.committee_case(session, person, ref)
        with pytest.raises(DomainError):
            cases.member_case(session, person, ref)
