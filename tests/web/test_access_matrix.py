"""Deny by default: every route declares who may reach it, and each role gets what it should."""

from __future__ import annotations

import pytest

from portal.domain.roles import Role
from portal.web.access import access_of
from tests.conftest import Browser
from tests.factories import PASSWORD, make_committee, make_user


def test_every_route_declares_who_may_reach_it(app):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and access_of(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_an_undeclared_route_is_refused(app, client):
    # A view added without a declaration must not leak: the guard refuses it.
    app.view_functions["public.procedure"], original = (
        lambda: "leak",
        app.view_functions["public.procedure"],
    )
    try:
        assert client.get("/policies/").status_code == 403
    finally:
        app.view_functions["public.procedure"] = original


ANON = "anonymous"
WHO = [ANON, *Role]

# GET routes and the roles that may open them; others get 403 (302 to sign-in if anonymous).
MATRIX: list[tuple[str, set[object]]] = [
    ("/", {"*"}),
    ("/sign-in", {"*"}),
    ("/register", {"*"}),
    ("/register/done", {"*"}),
    ("/forgot-password", {"*"}),
    ("/forgot-password/sent", {"*"}),
    ("/you-said-we-did", {"*"}),
    ("/survey/thanks", {"*"}),
    ("/policies/", {"*"}),
    ("/account", {Role.MEMBER, Role.REVIEWER, Role.CHAIR, Role.PANEL, Role.ADMIN, Role.AUDITOR}),
    ("/my/grievances", {Role.MEMBER}),
    ("/grievances/new", {Role.MEMBER}),
    ("/committee/record", {Role.REVIEWER, Role.CHAIR}),
    ("/committee/queue", {Role.REVIEWER, Role.CHAIR, Role.PANEL}),
    ("/committee/survey-results", {Role.CHAIR}),
    ("/committee/improvements/new", {Role.CHAIR}),
    ("/policies/ethics", {"*"}),
    ("/admin/users", {Role.ADMIN}),
    ("/admin/users/invite", {Role.ADMIN}),
    ("/admin/users/{user}", {Role.ADMIN}),
    ("/admin/committees", {Role.ADMIN}),
    ("/admin/committees/{committee}", {Role.ADMIN}),
    ("/admin/panel", {Role.ADMIN}),
    ("/oversight/audit", {Role.AUDITOR}),
    # A chair without a committee seat chairs nothing: the service refuses (403).
    ("/insight/", {Role.ADMIN, Role.AUDITOR}),
    ("/insight/actions", {Role.ADMIN, Role.AUDITOR}),
    ("/admin/outbox", {Role.ADMIN}),
    (
        "/notifications",
        {Role.MEMBER, Role.REVIEWER, Role.CHAIR, Role.PANEL, Role.ADMIN, Role.AUDITOR},
    ),
]


@pytest.mark.parametrize("who", WHO, ids=str)
def test_role_route_matrix(app, session, who):
    committee = make_committee(session)
    target = make_user(session)
    if who != ANON:
        make_user(session, who, email=f"{who}@example.org")
    session.commit()
    browser = Browser(app.test_client())
    if who != ANON:
        assert browser.sign_in(f"{who}@example.org", PASSWORD).status_code == 303
    failures = []
    for template, allowed in MATRIX:
        url = template.format(user=target.id, committee=committee.id)
        status = browser.get(url).status_code
        if "*" in allowed or who in allowed:
            expected = {200, 302} if url == "/" else {200}
        else:
            expected = {302} if who == ANON else {403}
        if status not in expected:
            failures.append(f"{who} GET {url}: {status}, expected {sorted(expected)}")
    assert failures == []


def test_posts_are_checked_too(app, session):
    """A member posting to an admin action is refused before anything changes."""
    target = make_user(session)
    make_user(session, Role.MEMBER, email="sneaky@example.org")
    session.commit()
    browser = Browser(app.test_client())
    browser.sign_in("sneaky@example.org", PASSWORD)
    response = browser.submit(
        f"/admin/users/{target.id}/roles", {"roles": ["administrator"]}, form_url="/account"
    )
    assert response.status_code == 403
    session.refresh(target)
    assert target.roles == {Role.MEMBER}


def signed_in_as(app, session, who):  # type: ignore[no-untyped-def]
    """A browser signed in with a new account of that role (or a visitor), and a page with a form token."""
    browser = Browser(app.test_client())
    if who == ANON:
        return browser, "/sign-in"
    make_user(session, who, email=f"{who}@example.org")
    session.commit()
    assert browser.sign_in(f"{who}@example.org", PASSWORD).status_code == 303
    return browser, "/account"


@pytest.fixture
def someone_elses_case(app, session):  # type: ignore[no-untyped-def]
    from portal.services import intake

    committee = make_committee(session, "member-services", "Member Services")
    owner = make_user(session, Role.MEMBER, email="owner@example.org")
    case = intake.file_grievance(
        session,
        owner,
        owner,
        intake.Filing(category="billing", subject="Private matter", narrative="Private details."),
        app.extensions["portal.policies"],
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
    )
    session.commit()
    return case, committee


@pytest.mark.parametrize("who", WHO, ids=str)
def test_nobody_but_the_owner_reaches_a_case(app, session, who, someone_elses_case):
    """Other members get 404 (the case's existence stays secret); other roles 403; visitors sign in."""
    case, _committee = someone_elses_case
    browser, token_page = signed_in_as(app, session, who)
    ref = case.reference
    expected = 302 if who == ANON else 404 if who == Role.MEMBER else 403
    failures = []
    for url in (
        f"/grievances/{ref}",
        f"/grievances/{ref}/acknowledgement",
        f"/grievances/{ref}/withdraw",
        f"/grievances/{ref}/evidence/{case.id}",
        f"/grievances/{ref}/escalate",
        f"/grievances/{ref}/appeal",
    ):
        if (status := browser.get(url).status_code) != expected:
            failures.append(f"GET {url}: {status}")
    for url, data in (
        (f"/grievances/{ref}/messages", {"body": "hi"}),
        (f"/grievances/{ref}/evidence", {}),
        (f"/grievances/{ref}/reveal", {"confirm": "yes"}),
        (f"/grievances/{ref}/withdraw", {"reason": "x", "confirm": "yes"}),
        (f"/grievances/{ref}/escalate", {"confirm": "yes"}),
        (f"/grievances/{ref}/appeal", {"reason": "x", "confirm": "yes"}),
    ):
        if (status := browser.submit(url, data, form_url=token_page).status_code) != expected:
            failures.append(f"POST {url}: {status}")
    assert failures == []
    session.refresh(case)
    assert case.status == "acknowledged" and case.messages == []


@pytest.mark.parametrize("who", WHO, ids=str)
def test_the_committee_case_page_is_404_to_anyone_without_a_seat(
    app, session, who, someone_elses_case
):
    """Not a route-level 403: for a case page, anyone but its committee gets the answer a
    case that does not exist gets, administrators and auditors included."""
    case, _committee = someone_elses_case
    browser, token_page = signed_in_as(app, session, who)
    ref = case.reference
    expected = 302 if who == ANON else 404
    failures = []
    for url in (f"/committee/cases/{ref}", f"/committee/cases/{ref}/evidence/{case.id}"):
        if (status := browser.get(url).status_code) != expected:
            failures.append(f"GET {url}: {status}")
    posted = browser.submit(
        f"/committee/cases/{ref}/status", {"move-target": "under_review"}, form_url=token_page
    )
    if posted.status_code != expected:
        failures.append(f"POST status: {posted.status_code}")
    assert failures == []
    session.refresh(case)
    assert case.status == "acknowledged"


POSTS = [
    ("/grievances/new", {Role.MEMBER}),
    ("/committee/record", {Role.REVIEWER, Role.CHAIR}),
    ("/admin/users/invite", {Role.ADMIN}),
    ("/admin/committees", {Role.ADMIN}),
    ("/admin/panel", {Role.ADMIN}),
    ("/committee/improvements/new", {Role.CHAIR}),
]


@pytest.mark.parametrize("who", WHO, ids=str)
def test_role_post_matrix(app, session, who):
    """Posting an empty form: allowed roles get the form back with messages (200/400), others 403."""
    browser, token_page = signed_in_as(app, session, who)
    failures = []
    for url, allowed in POSTS:
        status = browser.submit(url, {}, form_url=token_page).status_code
        expected = {200, 400} if who in allowed else {302} if who == ANON else {403}
        if status not in expected:
            failures.append(f"{who} POST {url}: {status}")
    assert failures == []
