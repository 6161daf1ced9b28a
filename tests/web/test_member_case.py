"""The member's list and case page; other people's cases stay invisible."""

from __future__ import annotations

import io

import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.grievances import Grievance, InternalNote, Message
from tests.conftest import Browser, csrf_token, form_tokens
from tests.factories import PASSWORD, make_user
from tests.web.conftest import PDF, RECEIVED_RE, REF_RE, file_grievance


def _filed(browser, **changes):  # type: ignore[no-untyped-def]
    response = file_grievance(browser, files=[(io.BytesIO(PDF), "proof.pdf")], **changes)
    assert response.status_code == 303
    return REF_RE.search(response.headers["Location"]).group(0)


def test_my_grievances_lists_cases_with_status_and_next_date(member_browser):
    first = _filed(member_browser, subject="First matter")
    second = _filed(member_browser, subject="Second matter", category="events")
    html = member_browser.get("/my/grievances").get_data(as_text=True)
    assert html.index(second) < html.index(first)  # latest activity first
    assert "First matter" in html and "Received, waiting for the committee" in html
    assert "We will respond by" in html


def test_case_page_shows_status_timeline_and_what_happens_next(member_browser):
    ref = _filed(member_browser)
    html = member_browser.get(f"/grievances/{ref}").get_data(as_text=True)
    assert f"{ref}: Charged twice for dues" in html
    assert "Received, waiting for the committee" in html and "What happens next" in html
    assert "Filed online" in html and "My card was charged twice" in html
    assert "proof.pdf" in html


def test_member_sends_a_message(member_browser, session):
    ref = _filed(member_browser)
    url = f"/grievances/{ref}"
    response = member_browser.submit(
        f"{url}/messages",
        {"body": "One more detail: it was 2 March."},
        form_url=url,
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert (
        "Your message was sent to the committee." in html
        and "One more detail: it was 2 March." in html
    )
    empty = member_browser.submit(f"{url}/messages", {"body": "   "}, form_url=url)
    assert empty.status_code == 400 and "Write your message before sending it." in empty.get_data(
        as_text=True
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_member_adds_and_downloads_evidence_as_an_attachment(member_browser, session):
    ref = _filed(member_browser)
    url = f"/grievances/{ref}"
    page = member_browser.get(url).get_data(as_text=True)
    response = member_browser.client.post(
        f"{url}/evidence",
        data={
            "csrf_token": csrf_token(page),
            "evidence": [(io.BytesIO(b"Notes taken on the day.\n"), "notes.txt")],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "1 file added to your grievance." in response.get_data(as_text=True)
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == ref))
    session.refresh(case)
    notes = next(a for a in case.attachments if a.filename == "notes.txt")
    download = member_browser.get(f"{url}/evidence/{notes.id}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.data == b"Notes taken on the day.\n"


def test_withdraw_needs_confirmation_and_a_reason(member_browser, session):
    ref = _filed(member_browser)
    url = f"/grievances/{ref}/withdraw"
    page = member_browser.get(url).get_data(as_text=True)
    assert "Withdraw grievance" in page and "This cannot be undone." in page
    assert 'name="confirm" value="yes"' in page and 'class="button danger"' in page
    # A one-click POST without the confirmation page's answer changes nothing.
    unconfirmed = member_browser.submit(url, {"reason": "Sorted it out directly."})
    assert unconfirmed.status_code == 303 and unconfirmed.headers["Location"].endswith(url)
    no_reason = member_browser.submit(url, {"reason": "", "confirm": "yes"})
    assert no_reason.status_code == 400
    assert "Tell us briefly why you are withdrawing." in no_reason.get_data(as_text=True)
    done = member_browser.submit(
        url, {"reason": "Sorted it out directly.", "confirm": "yes"}, follow_redirects=True
    )
    html = done.get_data(as_text=True)
    assert f"Grievance {ref} is withdrawn." in html and "Withdrawn" in html
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == ref))
    session.refresh(case)
    assert case.status == "withdrawn" and not case.is_open
    again = member_browser.submit(url, {"reason": "again", "confirm": "yes"})
    assert again.status_code == 400


def test_another_member_gets_404_everywhere(app, member_browser, session):
    ref = _filed(member_browser)
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == ref))
    attachment_id = case.attachments[0].id
    make_user(session, Role.MEMBER, email="nosy@example.org")
    session.commit()
    nosy = Browser(app.test_client())
    nosy.sign_in("nosy@example.org", PASSWORD)
    for url in (
        f"/grievances/{ref}",
        f"/grievances/{ref}/acknowledgement",
        f"/grievances/{ref}/evidence/{attachment_id}",
        f"/grievances/{ref}/withdraw",
        "/grievances/GRV-2026-999999",
    ):
        assert nosy.get(url).status_code == 404, url
    posted = nosy.submit(f"/grievances/{ref}/messages", {"body": "hi"}, form_url="/my/grievances")
    assert posted.status_code == 404
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_internal_notes_never_reach_the_member(member_browser, session, member):
    ref = _filed(member_browser)
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == ref))
    reviewer = make_user(session, Role.REVIEWER)
    note = InternalNote(grievance=case, author=reviewer)
    note.body = "INTERNAL: check the member's payment history"
    session.add(note)
    session.commit()
    html = member_browser.get(f"/grievances/{ref}").get_data(as_text=True)
    assert "INTERNAL" not in html and "payment history" not in html


def test_staff_record_a_phone_grievance_the_member_then_sees(app, session, committees, member):
    make_user(session, Role.REVIEWER, email="desk@example.org")
    session.commit()
    staff = Browser(app.test_client())
    staff.sign_in("desk@example.org", PASSWORD)
    found = staff.get("/committee/record?q=fiona").get_data(as_text=True)
    assert "Record for Fiona Filer" in found
    form_url = f"/committee/record?member={member.id}"
    page = staff.get(form_url).get_data(as_text=True)
    response = staff.client.post(
        "/committee/record",
        data={
            **form_tokens(page),
            "member_id": str(member.id),
            "channel": "phone",
            "category": "governance",
            "subject": "Ballot papers missing",
            "narrative": "Called to say ballot papers never arrived.",
            "received_at": RECEIVED_RE.search(page).group(1),
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Grievance recorded" in html
    case = session.scalar(sa.select(Grievance))
    assert case.channel == "phone" and case.belongs_to(member) and case.recorded_by_id is not None

    mine = Browser(app.test_client())
    mine.sign_in("filer@example.org", PASSWORD)
    listing = mine.get("/my/grievances").get_data(as_text=True)
    assert case.reference in listing and "Received by phone" in listing
    korean = mine.client.get("/my/grievances", headers={"Accept-Language": "ko"})
    assert "전화로" in korean.get_data(as_text=True)


def test_members_cannot_use_staff_intake(member_browser):
    assert member_browser.get("/committee/record").status_code == 403


def test_hidden_identity_is_withheld_until_the_member_agrees(member_browser, session):
    from portal.services.cases import member_label

    ref = _filed(member_browser, category="ethics", hide_identity="y")
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == ref))
    assert member_label(session, case) == "Member (identity withheld)"
    url = f"/grievances/{ref}"
    assert "Hidden from the committee" in member_browser.get(url).get_data(as_text=True)
    page = member_browser.get(f"{url}/reveal").get_data(as_text=True)
    assert "Let the committee see your name on" in page and "This cannot be undone." in page
    one_click = member_browser.submit(f"{url}/reveal", {}, form_url=url)
    assert one_click.status_code == 303 and one_click.headers["Location"].endswith("/reveal")
    session.refresh(case)
    assert case.identity_hidden
    done = member_browser.submit(
        f"{url}/reveal", {"confirm": "yes"}, form_url=url, follow_redirects=True
    )
    assert "The committee can now see your name." in done.get_data(as_text=True)
    session.refresh(case)
    assert not case.identity_hidden and member_label(session, case) == "Fiona Filer"


def test_my_grievances_is_paginated(app, member_browser, member, session):
    from datetime import UTC, datetime, timedelta

    from portal.services import intake

    start = datetime(2026, 11, 2, 10, tzinfo=UTC)
    for i in range(23):
        intake.file_grievance(
            session,
            member,
            member,
            intake.Filing(category="events", subject=f"Matter {i:02d}", narrative="Details."),
            app.extensions["portal.policies"],
            app.extensions["portal.store"],
            app.extensions["portal.upload_rules"],
            now=start + timedelta(hours=i),
        )
    session.commit()
    first = member_browser.get("/my/grievances").get_data(as_text=True)
    assert "Matter 22" in first and "Matter 02" not in first and "Page 1 of 2" in first
    second = member_browser.get("/my/grievances?page=2").get_data(as_text=True)
    assert "Matter 02" in second and "Matter 22" not in second and "Page 2 of 2" in second
    # An old link past the end shows the last page there is, not an empty list.
    past = member_browser.get("/my/grievances?page=9").get_data(as_text=True)
    assert "Matter 02" in past and "Page 2 of 2" in past


def test_a_reply_while_waiting_restarts_the_clock_and_moves_the_decision_date(
    app, member_browser, session
):
    from datetime import timedelta

    from portal.db import utcnow
    from portal.domain import sla

    ref = _filed(member_browser)
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == ref))
    calendar = app.extensions["portal.policies"].calendar
    # The committee asked for information ten days ago (their side comes in a later step).
    paused_at = utcnow() - timedelta(days=10)
    before = case.resolution_due_at
    case.status, case.paused_at, case.first_response_at = "awaiting_member", paused_at, paused_at
    session.commit()
    page = member_browser.get(f"/grievances/{ref}").get_data(as_text=True)
    assert "Waiting for your reply" in page and "The clock is paused" in page

    url = f"/grievances/{ref}"
    member_browser.submit(
        f"{url}/messages", {"body": "Here is the receipt you asked for."}, form_url=url
    )
    session.refresh(case)
    waited = sla.working_time_between(paused_at, utcnow(), calendar)
    assert case.status == "under_review" and case.paused_at is None
    assert case.resolution_due_at > before
    assert abs(case.paused_seconds - waited.total_seconds()) < 120
    assert sla.working_time_between(before, case.resolution_due_at, calendar) >= waited - timedelta(
        minutes=2
    )
    assert "Being reviewed" in member_browser.get(url).get_data(as_text=True)


def test_each_listed_grievance_links_to_its_own_page(member_browser):
    first = _filed(member_browser, subject="First matter")
    second = _filed(member_browser, subject="Second matter")
    html = member_browser.get("/my/grievances").get_data(as_text=True)
    for ref, subject in ((first, "First matter"), (second, "Second matter")):
        assert f'<a href="/grievances/{ref}">{ref}</a>' in html
        page = member_browser.get(f"/grievances/{ref}").get_data(as_text=True)
        assert f"{ref}: {subject}" in page


def test_list_links_are_the_links_flask_builds(app):
    from flask import url_for

    from portal.web.filters import case_links

    # Served under a path prefix too; anything but a plain reference is quoted as usual.
    with app.test_request_context("/", base_url="http://localhost/portal/"):
        for endpoint in ("member.case", "committee.case"):
            link = case_links(endpoint)
            for reference in ("GRV-2026-000123", "a b?c", "사건"):
                assert link(reference) == url_for(endpoint, reference=reference)
        assert case_links("member.case")("GRV-2026-000123") == "/portal/grievances/GRV-2026-000123"
