"""Staff recording a grievance: their voice, when it was received, their own note, and a
person without an account who claims the case later."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.db import utcnow
from portal.domain import sla
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.grievances import Claimant, Grievance, InternalNote
from tests.conftest import Browser, form_tokens
from tests.factories import PASSWORD, make_user
from tests.web.conftest import RECEIVED_RE

NOTE = "Sounded distressed; promised to check the ballot printer"
CODE_RE = re.compile(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")


def _staff(app, session, email="desk@example.org"):  # type: ignore[no-untyped-def]
    make_user(session, Role.REVIEWER, email=email, name="Dana Desk")
    session.commit()
    browser = Browser(app.test_client())
    assert browser.sign_in(email, PASSWORD).status_code == 303
    return browser


def _record(staff, who, **fields):  # type: ignore[no-untyped-def]
    page = staff.get(f"/committee/record?member={who}").get_data(as_text=True)
    data = {
        **form_tokens(page),
        "member_id": str(who),
        "channel": "phone",
        "category": "governance",
        "subject": "Ballot papers missing",
        "narrative": "Called to say ballot papers never arrived.",
        "received_at": RECEIVED_RE.search(page).group(1),
        **fields,
    }
    return staff.client.post("/committee/record", data=data)


def _local(app, moment: datetime) -> str:
    zone = app.extensions["portal.policies"].calendar.time_zone
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def test_the_form_speaks_to_staff(app, session, committees, member):
    staff = _staff(app, session)
    html = staff.get(f"/committee/record?member={member.id}").get_data(as_text=True)
    assert "What did the member tell you?" in html
    assert "When did we receive it?" in html and "Internal note (optional)" in html
    assert "What happened</label>" not in html


def test_the_clock_starts_when_it_was_received_not_when_it_was_typed(
    app, session, committees, member
):
    staff = _staff(app, session)
    received = (utcnow() - timedelta(days=3)).replace(second=0, microsecond=0)
    response = _record(staff, member.id, received_at=_local(app, received))
    assert response.status_code == 303
    case = session.scalar(sa.select(Grievance))
    policies = app.extensions["portal.policies"]
    first, decision = sla.due_dates(received, policies.priorities[case.priority], policies.calendar)
    assert case.submitted_at == received
    assert (case.first_response_due_at, case.resolution_due_at) == (first, decision)


def test_a_time_in_the_future_or_too_long_ago_is_refused(app, session, committees, member):
    staff = _staff(app, session)
    for moment, message in (
        (utcnow() + timedelta(hours=2), "cannot be in the future"),
        (utcnow() - timedelta(days=31), "in the last 30 days"),
    ):
        response = _record(staff, member.id, received_at=_local(app, moment))
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Grievance)) == 0


def test_the_internal_note_is_kept_encrypted_and_never_shown_to_the_member(
    app, session, committees, member
):
    staff = _staff(app, session)
    assert _record(staff, member.id, internal_note=NOTE).status_code == 303
    note = session.scalar(sa.select(InternalNote))
    assert note.body == NOTE and NOTE.encode() not in bytes(note.body_ct)
    case = session.scalar(sa.select(Grievance))
    mine = Browser(app.test_client())
    mine.sign_in("filer@example.org", PASSWORD)
    html = mine.get(f"/grievances/{case.reference}").get_data(as_text=True)
    assert "Ballot papers missing" in html
    assert "distressed" not in html and "ballot printer" not in html


def test_a_person_without_an_account_claims_the_case_when_registering(app, session, committees):
    staff = _staff(app, session)
    search = staff.get("/committee/record?q=zz").get_data(as_text=True)
    assert "Type at least 3 characters to search" in search
    assert re.search(r'<div class="search-row">\s*<input[^>]*id="q"[^>]*>\s*<button', search)

    response = _record(
        staff,
        "new",
        claimant_name="Kim Caller",
        claimant_email="Kim.Caller@example.org",
        claimant_phone="+44 20 7946 0000",
    )
    assert response.status_code == 303
    confirmation = staff.get(response.headers["Location"]).get_data(as_text=True)
    case = session.scalar(sa.select(Grievance))
    assert case.reference in confirmation and "Kim Caller" in confirmation
    code = CODE_RE.search(confirmation).group(0)
    claimant = session.scalar(sa.select(Claimant))
    raw = b"".join(bytes(v or b"") for v in (claimant.full_name_ct, claimant.email_ct))
    assert b"Kim" not in raw and b"example.org" not in raw
    assert case.member_user_id() == 0

    # Another reviewer cannot open someone else's confirmation page.
    other = _staff(app, session, email="other-desk@example.org")
    assert other.get(response.headers["Location"]).status_code == 404

    def register(email: str, code: str) -> Browser:
        visitor = Browser(app.test_client())
        response = visitor.submit(
            "/register",
            {
                "full_name": "Kim Caller",
                "email": email,
                "member_number": "",
                "password": "a quiet harbour at dawn",
                "confirm": "a quiet harbour at dawn",
                "claim_code": code,
            },
        )
        assert response.status_code == 303
        assert visitor.sign_in(email, "a quiet harbour at dawn").status_code == 303
        return visitor

    # The code with another address claims nothing, nor the address with a wrong code.
    register("someone.else@example.org", code)
    kim = register("kim.caller@example.org", "AAAA-AAAA-AAAA")
    session.expire_all()
    assert session.scalar(sa.select(Grievance)).member_user_id() == 0
    assert case.reference not in kim.get("/my/grievances").get_data(as_text=True)

    # With the right code, from "My grievances", it becomes theirs.
    response = kim.submit(
        "/my/grievances/claim",
        {"code": code.lower()},
        form_url="/my/grievances",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "1 grievance was added to your account." in html and case.reference in html
    session.expire_all()
    case = session.scalar(sa.select(Grievance))
    assert case.member_user_id() != 0 and case.subject == "Ballot papers missing"
    assert "Ballot papers missing" in kim.get(f"/grievances/{case.reference}").get_data(
        as_text=True
    )
    claimed = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "case.claimed"))
    assert len(claimed.all()) == 1


def test_the_claim_code_at_registration_makes_the_case_theirs(app, session, committees):
    staff = _staff(app, session)
    response = _record(staff, "new", claimant_name="Lee Walkin", claimant_email="lee@example.org")
    code = CODE_RE.search(staff.get(response.headers["Location"]).get_data(as_text=True)).group(0)
    visitor = Browser(app.test_client())
    visitor.submit(
        "/register",
        {
            "full_name": "Lee Walkin",
            "email": "LEE@example.org",
            "member_number": "",
            "password": "a quiet harbour at dawn",
            "confirm": "a quiet harbour at dawn",
            "claim_code": code,
        },
    )
    visitor.sign_in("lee@example.org", "a quiet harbour at dawn")
    case = session.scalar(sa.select(Grievance))
    assert case.reference in visitor.get("/my/grievances").get_data(as_text=True)


def test_a_person_without_an_account_needs_a_name_and_a_contact(app, session, committees):
    staff = _staff(app, session)
    response = _record(staff, "new", subject="", claimant_name="", claimant_email="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the person&#39;s full name." in html or "Enter the person's full name." in html
    assert "Give an email address or a phone number" in html
    assert "Give the grievance a short title." in html  # all in one round
    assert session.scalar(sa.select(sa.func.count()).select_from(Grievance)) == 0
