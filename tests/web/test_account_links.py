"""Links the portal mails: password reset, address confirmation; single use, expiring, hashed."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.db import utcnow
from portal.domain.errors import AddressUnconfirmed
from portal.models.audit import AuditEntry
from portal.models.grievances import Grievance
from portal.models.users import PasswordToken, User
from portal.services import intake
from tests.conftest import Browser
from tests.factories import make_user
from tests.mailbox import link_in, text_of
from tests.web.conftest import FIELDS, signed_in

NEW = "a lantern by the quiet river"


def ask_reset(app, email: str):  # type: ignore[no-untyped-def]
    return Browser(app.test_client()).submit("/forgot-password", {"email": email})


def test_a_reset_answers_alike_for_any_address_and_its_link_works_once(app, session, mailbox):
    user = make_user(session, email="known@example.org")
    session.commit()
    known, unknown = ask_reset(app, "Known@Example.org"), ask_reset(app, "nobody@example.org")
    assert (known.status_code, known.headers["Location"]) == (303, "/forgot-password/sent")
    assert (unknown.status_code, unknown.headers["Location"]) == (303, "/forgot-password/sent")
    assert set(known.headers) == set(unknown.headers)
    page = Browser(app.test_client()).get("/forgot-password/sent").get_data(as_text=True)
    assert "If an account uses the address you gave" in page

    mailbox.deliver()
    assert [m["To"] for m in mailbox.mails] == ["known@example.org"]
    [mail] = mailbox.mails
    path = link_in(mail, "/set-password/")
    token = path.rsplit("/", 1)[1]
    # Only the token's hash is stored.
    stored = session.scalars(sa.select(PasswordToken.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64

    other = signed_in(app, "known@example.org")  # a browser signed in before the reset
    person = Browser(app.test_client())
    assert "Choose a new password" in person.get(path).get_data(as_text=True)
    done = person.submit(path, {"password": NEW, "confirm": NEW})
    assert done.status_code == 303
    assert person.get(path).status_code == 404  # used
    assert other.get("/account").status_code == 302  # other browsers were signed out
    assert Browser(app.test_client()).sign_in("known@example.org", NEW).status_code == 303
    audit = session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.at)).all()
    assert "account.reset_requested" in audit and "account.password_set" in audit
    session.refresh(user)


def test_the_reset_answer_takes_as_long_for_an_unknown_address(app, session):
    make_user(session, email="timed@example.org")
    session.commit()

    def took(email: str) -> float:
        started = time.monotonic()
        ask_reset(app, email)
        return time.monotonic() - started

    known = [took("timed@example.org") for _ in range(3)]
    unknown = [took(f"nobody{n}@example.org") for n in range(3)]
    assert min(known + unknown) >= 0.4
    assert abs(statistics.median(known) - statistics.median(unknown)) < 0.15


def test_a_newer_reset_link_ends_the_older_one_and_links_expire(app, session, mailbox):
    make_user(session, email="twice@example.org")
    session.commit()
    ask_reset(app, "twice@example.org")
    ask_reset(app, "twice@example.org")
    mailbox.deliver()
    first, second = (link_in(m, "/set-password/") for m in mailbox.to("twice@example.org"))
    browser = Browser(app.test_client())
    assert browser.get(first).status_code == 404
    assert browser.get(second).status_code == 200
    # Two hours later the newest one has expired too.
    row = session.scalar(sa.select(PasswordToken).where(PasswordToken.used_at.is_(None)))
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    gone = browser.get(second)
    assert gone.status_code == 404
    assert "This link has expired or was already used" in gone.get_data(as_text=True)


def register(app, email: str, number: str = ""):  # type: ignore[no-untyped-def]
    data = {
        "full_name": "Rina Cho",
        "email": email,
        "member_number": number,
        "password": NEW,
        "confirm": NEW,
    }
    return Browser(app.test_client()).submit("/register", data)


def test_a_new_account_confirms_its_address_before_it_can_file(app, session, mailbox, committees):
    assert register(app, "rina@example.org").headers["Location"] == "/register/done"
    browser = signed_in_as_new(app)
    page = browser.get("/grievances/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "Please confirm your email address first" in html
    assert "open the link we sent to rina@example.org" in html
    assert "Send the link again" in html
    # Sending the form anyway (and the filing service itself) is refused as well.
    posted = browser.submit("/grievances/new", {**FIELDS, "action": "submit"}, "/account")
    assert posted.status_code == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(Grievance)) == 0
    user = session.scalar(sa.select(User).where(User.email_key == "rina@example.org"))
    policies = app.extensions["portal.policies"]
    with pytest.raises(AddressUnconfirmed):
        intake.file_grievance(
            session,
            user,
            user,
            intake.Filing(category="billing", subject="S", narrative="N"),
            policies,
            app.extensions["portal.store"],
            app.extensions["portal.upload_rules"],
        )
    session.rollback()

    # "Send the link again": a new link, and the first one stops working.
    again = browser.submit(
        "/account/confirmation", {"next": "/grievances/new"}, form_url="/grievances/new"
    )
    assert again.status_code == 303 and again.headers["Location"] == "/grievances/new"
    mailbox.deliver()
    first, second = mailbox.to("rina@example.org")
    assert "Confirm your email address" in str(first["Subject"])
    assert Browser(app.test_client()).get(link_in(first, "/confirm/")).status_code == 404
    confirm = link_in(second, "/confirm/")
    shown = browser.get(confirm)  # opening it changes nothing: a button confirms
    assert shown.status_code == 200 and "Confirm my address" in shown.get_data(as_text=True)
    session.refresh(user)
    assert user.email_confirmed_at is None
    done = browser.submit(confirm, {})
    assert done.status_code == 303
    assert browser.get(confirm).status_code == 404  # single use
    assert browser.get("/grievances/new").status_code == 200


def signed_in_as_new(app) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(app.test_client())
    assert browser.sign_in("rina@example.org", NEW).status_code == 303
    return browser


def test_registering_a_taken_address_tells_its_owner_and_answers_as_for_a_new_one(
    app, session, mailbox
):
    make_user(session, email="owner@example.org", member_number="M-9", name="Olga Owner")
    session.commit()
    fresh = register(app, "fresh@example.org")
    taken = register(app, "OWNER@example.org")
    by_number = register(app, "third@example.org", "m-9")
    assert {(r.status_code, r.headers["Location"]) for r in (fresh, taken, by_number)} == {
        (303, "/register/done")
    }
    mailbox.deliver()
    [confirm] = mailbox.to("fresh@example.org")
    assert "Confirm your email address" in str(confirm["Subject"])
    told = mailbox.to("owner@example.org")
    assert [str(m["Subject"]) for m in told] == ["Someone tried to register with your details"] * 2
    assert "with this email address" in text_of(told[0])
    assert "with the member number of your account" in text_of(told[1])
    assert "/forgot-password" in text_of(told[0])
    assert mailbox.to("third@example.org") == []  # no account, no mail
    assert "Olga" not in text_of(told[0])
