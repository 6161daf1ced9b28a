"""The grievance panel's roster in the admin pages: appoint, refuse, remove."""

from __future__ import annotations

import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.grievances import PanelSeat
from portal.services import intake
from tests.factories import PASSWORD, make_committee, make_user


def _admin(browser, session):  # type: ignore[no-untyped-def]
    admin = make_user(session, Role.ADMIN, email="admin@example.org", name="Ada Admin")
    session.commit()
    assert browser.sign_in("admin@example.org", PASSWORD).status_code == 303
    return admin


def _last_entry(session):  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))


def test_the_admin_navigation_leads_to_the_panel_page(browser, session):
    _admin(browser, session)
    html = browser.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/panel"' in html and "Grievance panel" in html
    page = browser.get("/admin/panel").get_data(as_text=True)
    assert "Nobody is on the grievance panel yet." in page
    assert "Each panel case is heard by 3 members who took no part in it;" in page
    assert "2 matching votes decide it." in page
    assert "A panel case needs 3 members" in page


def test_appoint_a_board_member_by_email_and_it_is_audited(browser, session):
    _admin(browser, session)
    board = make_user(session, email="Bora.Board@example.org", name="Bora Board")
    session.commit()
    response = browser.submit(
        "/admin/panel", {"email": "  bora.board@EXAMPLE.org "}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Bora Board is now on the grievance panel." in html
    assert "Bora.Board@example.org" in html  # listed
    session.refresh(board)
    assert board.roles == {Role.MEMBER, Role.PANEL}
    entry = _last_entry(session)
    assert (entry.action, entry.object_type, entry.object_id) == (
        "panel.appointed",
        "user",
        str(board.id),
    )
    again = browser.submit("/admin/panel", {"email": "bora.board@example.org"})
    assert again.status_code == 400
    assert "Bora Board is already on the grievance panel." in again.get_data(as_text=True)


def test_refusals_say_why_and_change_nothing(browser, session):
    admin = _admin(browser, session)
    make_user(session, Role.ADMIN, email="other@example.org", name="Otto Other")
    make_user(session, Role.AUDITOR, email="audit@example.org", name="Aud Itor")
    make_user(session, email="gone@example.org", name="Gone Person", active=False)
    session.commit()
    entries = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    for email, message in (
        ("admin@example.org", "You cannot change your own roles or seats."),
        (
            "other@example.org",
            "Otto Other is an administrator or auditor and cannot sit on the grievance panel.",
        ),
        (
            "audit@example.org",
            "Aud Itor is an administrator or auditor and cannot sit on the grievance panel.",
        ),
        ("gone@example.org", "This account is deactivated."),
        ("nobody@example.org", "No account has this email address."),
        ("not an address", "Enter a valid email address"),
        ("", "Enter an email address."),
    ):
        response = browser.submit("/admin/panel", {"email": email})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, email
        assert message in html and 'class="error-summary"' in html, email
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries
    assert Role.PANEL not in admin.roles


def test_an_administrator_cannot_join_the_panel_through_the_roles_form(browser, session):
    _admin(browser, session)
    other = make_user(session, Role.ADMIN, email="other@example.org", name="Otto Other")
    session.commit()
    response = browser.submit(
        f"/admin/users/{other.id}/roles",
        {"roles": ["administrator", "panel"]},
        form_url=f"/admin/users/{other.id}",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "An administrator or auditor cannot also be a reviewer or chair, or sit on" in html
    session.refresh(other)
    assert other.roles == {Role.ADMIN}


def _panel_case(app, session, member):  # type: ignore[no-untyped-def]
    make_committee(session, "member-services", "Member Services")
    return intake.file_grievance(
        session,
        member,
        member,
        intake.Filing(category="billing", subject="Dues", narrative="Charged twice."),
        app.extensions["portal.policies"],
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
    )


def test_removal_confirms_then_ends_open_panel_seats(app, browser, session):
    _admin(browser, session)
    board = make_user(session, Role.MEMBER, Role.PANEL, email="b@example.org", name="Bora Board")
    filer = make_user(session, email="filer@example.org")
    case = _panel_case(app, session, filer)
    case.escalation_level = 3
    session.add(PanelSeat(grievance_id=case.id, level=3, user_id=board.id))
    session.commit()

    page = browser.get("/admin/panel").get_data(as_text=True)
    assert f'href="/admin/panel/{board.id}/remove"' in page
    confirm = browser.get(f"/admin/panel/{board.id}/remove").get_data(as_text=True)
    assert "Remove Bora Board from the grievance panel?" in confirm
    assert "They leave the panel of 1 open case they sit on" in confirm
    # Without the confirmation nothing happens: back to the question.
    unconfirmed = browser.submit(f"/admin/panel/{board.id}/remove", {})
    assert unconfirmed.status_code == 303
    session.refresh(board)
    assert Role.PANEL in board.roles

    done = browser.submit(
        f"/admin/panel/{board.id}/remove", {"confirm": "yes"}, follow_redirects=True
    )
    html = done.get_data(as_text=True)
    assert "Bora Board is no longer on the grievance panel." in html
    assert "They left the panel of 1 open case; it needs another member." in html
    session.expire_all()
    assert board.roles == {Role.MEMBER}
    assert session.scalars(sa.select(PanelSeat)).all() == []
    entry = _last_entry(session)
    assert entry.action == "panel.removed" and entry.object_id == str(board.id)
    assert '"seats_ended":1' in entry.detail
    # Someone no longer on the panel has no removal page.
    assert browser.get(f"/admin/panel/{board.id}/remove").status_code == 404


def test_a_panel_member_without_other_roles_keeps_a_member_account(browser, session):
    _admin(browser, session)
    board = make_user(session, Role.PANEL, email="b@example.org", name="Bora Board")
    session.commit()
    browser.submit(f"/admin/panel/{board.id}/remove", {"confirm": "yes"})
    session.refresh(board)
    assert board.roles == {Role.MEMBER}
