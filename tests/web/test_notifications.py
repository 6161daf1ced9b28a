"""Notifications in the portal: a count in the navigation, a list that changes nothing by
being read, opening one (a POST) marks it read and leads to the case, "Mark all as read",
and the member's choice of what also comes by email."""

from __future__ import annotations

import re

import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.grievances import Grievance
from portal.models.outbox import Notification
from portal.services import notify
from tests.conftest import csrf_token
from tests.factories import make_user
from tests.web.conftest import REF_RE, file_grievance, signed_in

BADGE = re.compile(r'Notifications <span class="badge">(\d+)<span class="visually-hidden"> unread')


def unread(browser) -> int:  # type: ignore[no-untyped-def]
    found = BADGE.search(browser.get("/account").get_data(as_text=True))
    return int(found.group(1)) if found else 0


def filed(browser) -> str:  # type: ignore[no-untyped-def]
    response = file_grievance(browser)
    assert response.status_code == 303
    return REF_RE.search(response.headers["Location"]).group(0)


def test_the_list_shows_what_happened_and_reading_it_changes_nothing(member_browser):
    ref = filed(member_browser)
    assert unread(member_browser) == 1
    for _ in range(2):
        page = member_browser.get("/notifications").get_data(as_text=True)
        assert f"{ref}: we have received your grievance" in page and "New:" in page
    assert unread(member_browser) == 1  # a GET marks nothing read


def test_opening_a_notification_marks_it_read_and_leads_to_the_case(member_browser, session):
    ref = filed(member_browser)
    page = member_browser.get("/notifications").get_data(as_text=True)
    action = re.search(r'action="(/notifications/[^"]+/open)"', page).group(1)
    response = member_browser.client.post(action, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303 and response.headers["Location"] == f"/grievances/{ref}"
    assert unread(member_browser) == 0
    assert "New:" not in member_browser.get("/notifications").get_data(as_text=True)


def test_mark_all_as_read(member_browser, session):
    ref = filed(member_browser)
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == ref))
    notify.committee_wrote(session, case)
    notify.status_changed(session, case)
    session.commit()
    assert unread(member_browser) == 3
    page = member_browser.get("/notifications").get_data(as_text=True)
    response = member_browser.client.post(
        "/notifications/read", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    after = member_browser.get("/notifications").get_data(as_text=True)
    assert "All notifications are marked as read." in after and "New:" not in after
    assert unread(member_browser) == 0


def test_a_notification_is_its_readers_alone(app, member_browser, session):
    filed(member_browser)
    [notice] = session.scalars(sa.select(Notification)).all()
    make_user(session, Role.MEMBER, email="other@example.org")
    session.commit()
    other = signed_in(app, "other@example.org")
    page = other.get("/notifications").get_data(as_text=True)
    assert "Nothing yet." in page
    token = csrf_token(page)
    for target in (notice.id, "not-an-id"):
        response = other.client.post(f"/notifications/{target}/open", data={"csrf_token": token})
        assert response.status_code == 404
    assert other.client.post(f"/notifications/{notice.id}/open").status_code == 400  # no token
    session.refresh(notice)
    assert notice.read_at is None


def test_notifications_are_written_in_the_readers_language(member_browser, session, member):
    ref = filed(member_browser)
    member.language = "ko"
    session.commit()
    page = member_browser.get("/notifications").get_data(as_text=True)
    assert f"{ref}: 고충 신청을 접수했습니다" in page and "알림" in page


def test_a_member_chooses_mail_for_decisions_and_requests_only(app, member_browser, session):
    page = member_browser.get("/account").get_data(as_text=True)
    assert "What should we also send you by email?" in page
    assert re.search(r'checked[^>]*value="all"', page)
    bad = member_browser.client.post(
        "/account/mail", data={"csrf_token": csrf_token(page), "mail": "never"}
    )
    assert bad.status_code == 400 and "Choose one of the options shown." in bad.get_data(
        as_text=True
    )
    response = member_browser.client.post(
        "/account/mail", data={"csrf_token": csrf_token(page), "mail": "important"}
    )
    assert response.status_code == 303
    page = member_browser.get("/account").get_data(as_text=True)
    assert "Your email choice is saved." in page
    assert re.search(r'checked[^>]*value="important"', page)
    entry = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "account.mail_preference")
    )
    assert entry is not None and '"to":"important"' in entry.detail

    make_user(session, Role.REVIEWER, email="staff@example.org")
    session.commit()
    staff = signed_in(app, "staff@example.org")
    assert "What should we also send you by email?" not in staff.get("/account").get_data(
        as_text=True
    )
