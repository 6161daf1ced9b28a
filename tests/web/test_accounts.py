"""Account flows driven through their forms, CSRF on."""

from __future__ import annotations

import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.users import User, UserSession
from tests.factories import PASSWORD, make_user

GOOD = "a quiet harbour at dawn"


def register(browser, follow_redirects=False, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "full_name": "Nadia Volkova",
        "email": "Nadia@Example.org",
        "member_number": "m-2001",
        "password": GOOD,
        "confirm": GOOD,
        **overrides,
    }
    return browser.submit("/register", data, follow_redirects=follow_redirects)


THANKS = "Thank you for registering"


def test_member_registers_then_signs_in(browser, session):
    response = register(browser, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert THANKS in html and "with the password you just chose" in html
    assert browser.get("/my/grievances").status_code == 302  # nobody was signed in
    user = session.scalar(sa.select(User).where(User.email_key == "nadia@example.org"))
    assert user is not None and user.roles == {Role.MEMBER}
    assert user.member_number == "M-2001"
    assert user.password_hash.startswith("$sealed1$") and "argon2" not in user.password_hash
    assert browser.sign_in("nadia@example.org", GOOD).status_code == 303
    assert "You have not filed a grievance yet" in browser.get("/my/grievances").get_data(
        as_text=True
    )


def test_an_existing_email_or_member_number_gets_the_same_answer_as_a_new_one(
    app, browser, session
):
    from portal.models.audit import AuditEntry

    owner = make_user(session, email="taken@example.org", member_number="M-7")
    session.commit()
    before = owner.password_hash
    fresh = register(browser, email="new@example.org", member_number="")
    taken_email = register(browser, email="TAKEN@example.org", member_number="")
    taken_number = register(browser, email="other@example.org", member_number="m-7")
    answers = {(r.status_code, r.headers["Location"]) for r in (fresh, taken_email, taken_number)}
    assert answers == {(303, "/register/done")}
    html = browser.get("/register/done").get_data(as_text=True)
    assert "already exists" not in html and "already has an account" not in html
    keys = session.scalars(sa.select(User.email_key).order_by(User.email_key)).all()
    assert keys == ["new@example.org", "taken@example.org"]  # no duplicate, no other@
    session.refresh(owner)
    assert owner.password_hash == before
    assert browser.get("/my/grievances").status_code == 302  # nobody signed in
    repeated = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "account.registration_repeated")
    ).all()
    assert [e.object_id for e in repeated] == [str(owner.id), str(owner.id)]


def test_a_repeated_registration_hashes_a_password_like_a_new_one(session, monkeypatch):
    from portal.security import passwords
    from portal.services import accounts

    make_user(session, email="taken@example.org")
    session.commit()
    calls: list[str] = []
    real = passwords.unsealed_hash
    monkeypatch.setattr(passwords, "unsealed_hash", lambda p: calls.append(p) or real(p))
    for email in ("taken@example.org", "fresh@example.org"):
        accounts.register(
            session, full_name="X", email=email, member_number=None, password=GOOD, mode="open"
        )
    assert calls == [GOOD, GOOD]


def test_password_rules_are_reported_with_every_other_mistake(browser, session):
    response = register(
        browser, full_name="", email="not an address", password="tiny-pass", confirm="tiny-pass"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter your full name." in html
    assert "Enter a valid email address" in html
    assert "Use at least 12 characters." in html


def test_bad_registration_keeps_values_and_explains_each_field(browser, session):
    response = register(browser, password="short", confirm="different")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The two passwords are not the same." in html
    assert 'value="Nadia Volkova"' in html
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_common_and_short_passwords_are_refused(browser):
    for password, message in [
        ("password1234", "too common"),
        ("qwertyuiop12345", "too common"),
        ("aaaaaaaaaaaaaa", "too common"),
        ("tiny-pass", "at least 12 characters"),
    ]:
        html = register(browser, password=password, confirm=password).get_data(as_text=True)
        assert message in html, password


def test_wrong_password_and_unknown_email_get_the_same_answer(browser, session):
    make_user(session, email="known@example.org")
    session.commit()
    wrong = browser.sign_in("known@example.org", "not the password at all")
    unknown = browser.sign_in("nobody@example.org", PASSWORD)
    assert wrong.status_code == unknown.status_code == 400
    message = "That email address and password do not match an account."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_sign_in_is_case_insensitive_and_renews_the_session(browser, client, session):
    make_user(session, email="case@example.org")
    session.commit()
    with client.session_transaction() as s:
        s["sid"] = "planted-by-an-attacker"
    response = browser.sign_in("CASE@example.org", PASSWORD)
    assert response.status_code == 303
    with client.session_transaction() as s:
        assert s["sid"] != "planted-by-an-attacker"


def test_sign_out_ends_the_session_on_the_server(browser, client, session):
    make_user(session, email="leaver@example.org")
    session.commit()
    browser.sign_in("leaver@example.org", PASSWORD)
    with client.session_transaction() as s:
        stolen = dict(s)
    assert client.get("/my/grievances").status_code == 200
    browser.sign_out()
    # Replaying the cookie from before sign-out does not get back in.
    with client.session_transaction() as s:
        s.update(stolen)
    response = client.get("/my/grievances")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert (
        session.scalar(sa.select(sa.func.count()).where(UserSession.revoked_at.is_not(None))) == 1
    )


def test_change_password_needs_the_current_one_and_signs_out_elsewhere(app, browser, session):
    make_user(session, email="mover@example.org")
    session.commit()
    other = app.test_client()
    from tests.conftest import Browser

    Browser(other).sign_in("mover@example.org", PASSWORD)
    browser.sign_in("mover@example.org", PASSWORD)
    bad = browser.submit(
        "/account",
        {"current_password": "wrong wrong wrong", "new_password": GOOD, "confirm": GOOD},
    )
    assert bad.status_code == 400 and "Your current password is not right." in bad.get_data(
        as_text=True
    )
    ok = browser.submit(
        "/account",
        {"current_password": PASSWORD, "new_password": GOOD, "confirm": GOOD},
        follow_redirects=True,
    )
    assert "Your password has been changed" in ok.get_data(as_text=True)
    assert other.get("/my/grievances").status_code == 302
    browser.sign_out()
    assert browser.sign_in("mover@example.org", GOOD).status_code == 303


def test_next_only_accepts_a_path_on_this_site(browser, session):
    make_user(session, email="next@example.org")
    session.commit()
    for target, expected in [
        ("/account", "/account"),
        ("https://evil.example/", "/my/grievances"),
        ("//evil.example/", "/my/grievances"),
        ("/\\evil.example", "/my/grievances"),
    ]:
        page = browser.get(f"/sign-in?next={target}")
        from tests.conftest import csrf_token

        response = browser.client.post(
            f"/sign-in?next={target}",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "email": "next@example.org",
                "password": PASSWORD,
            },
        )
        assert response.headers["Location"] == expected, target
        browser.sign_out()


def test_deactivated_user_is_out_on_the_next_request(browser, session, app):
    from portal.services import directory

    admin = make_user(session, Role.ADMIN)
    victim = make_user(session, email="gone@example.org")
    session.commit()
    browser.sign_in("gone@example.org", PASSWORD)
    assert browser.get("/my/grievances").status_code == 200
    with app.test_request_context():
        directory.set_active(session, admin, session.get(User, victim.id), False)
    session.commit()
    assert browser.get("/my/grievances").status_code == 302
    assert browser.sign_in("gone@example.org", PASSWORD).status_code == 400


def test_password_is_rehashed_when_parameters_change(browser, session):
    from argon2 import PasswordHasher

    from portal.security import passwords

    bare = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash(PASSWORD)
    user = make_user(session, email="old@example.org")
    user.password_hash = old = passwords.seal(bare, user)
    session.commit()
    assert browser.sign_in("old@example.org", PASSWORD).status_code == 303
    session.refresh(user)
    assert user.password_hash != old and passwords.needs_rehash(old, user)
    assert not passwords.needs_rehash(user.password_hash, user)
    assert browser.sign_out().status_code == 303
    assert browser.sign_in("old@example.org", PASSWORD).status_code == 303


def test_csrf_missing_is_refused_with_a_friendly_page(client, session):
    make_user(session, email="csrf@example.org")
    session.commit()
    response = client.post("/sign-in", data={"email": "csrf@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "This form expired" in response.get_data(as_text=True)


def test_sign_in_uses_the_same_email_rules_as_registration(browser, session):
    register(browser, email="user@xn--bcher-kva.de")
    assert browser.sign_in("user@xn--bcher-kva.de", GOOD).status_code == 303
    browser.sign_out()
    assert browser.sign_in("USER@bücher.de", GOOD).status_code == 303


def test_an_idle_session_ends_and_activity_keeps_it_alive(browser, session, app):
    from datetime import timedelta

    make_user(session, email="idle@example.org")
    session.commit()
    browser.sign_in("idle@example.org", PASSWORD)
    row = session.scalar(sa.select(UserSession).where(UserSession.revoked_at.is_(None)))
    hours = app.extensions["portal.settings"].session_hours
    # Active two minutes ago: a read-only page still counts as activity.
    row.last_seen_at = row.last_seen_at - timedelta(minutes=2)
    session.commit()
    assert browser.get("/account").status_code == 200
    session.refresh(row)
    assert row.last_seen_at > row.created_at - timedelta(seconds=1)
    # Idle for longer than the limit: signed out.
    row.last_seen_at = row.last_seen_at - timedelta(hours=hours, minutes=1)
    session.commit()
    assert browser.get("/account").status_code == 302
