"""Administration of users and committees."""

from __future__ import annotations

import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import CommitteeMembership
from tests.factories import PASSWORD, make_committee, make_user


def _admin(browser, session):  # type: ignore[no-untyped-def]
    admin = make_user(session, Role.ADMIN, email="admin@example.org", name="Ada Admin")
    session.commit()
    browser.sign_in("admin@example.org", PASSWORD)
    return admin


def test_search_users_by_name_email_or_member_number(browser, session):
    _admin(browser, session)
    make_user(session, name="Zoe Quinn", email="zq@example.org", member_number="M-777")
    make_user(session, name="Yusuf Ali", email="ya@example.org")
    session.commit()
    for query in ("zoe", "ZQ@EXAMPLE", "m-777"):
        html = browser.get(f"/admin/users?q={query}").get_data(as_text=True)
        assert "Zoe Quinn" in html and "Yusuf Ali" not in html, query
    html = browser.get("/admin/users?role=administrator").get_data(as_text=True)
    assert "Ada Admin" in html and "Zoe Quinn" not in html


def test_admin_makes_a_member_a_reviewer_and_it_is_audited(browser, session):
    _admin(browser, session)
    member = make_user(session, name="Rita Member")
    session.commit()
    response = browser.submit(
        f"/admin/users/{member.id}/roles",
        {"roles": ["member", "reviewer"]},
        form_url=f"/admin/users/{member.id}",
        follow_redirects=True,
    )
    assert "Roles of Rita Member updated." in response.get_data(as_text=True)
    session.refresh(member)
    assert member.roles == {Role.MEMBER, Role.REVIEWER}
    entry = session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert entry.action == "user.roles_changed" and entry.object_id == str(member.id)


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(browser, session):
    admin = _admin(browser, session)
    response = browser.submit(
        f"/admin/users/{admin.id}/roles",
        {"roles": ["member"]},
        form_url=f"/admin/users/{admin.id}",
        follow_redirects=True,
    )
    assert (
        "You cannot change your own roles or seats. Ask another administrator."
        in response.get_data(as_text=True)
    )
    response = browser.submit(
        f"/admin/users/{admin.id}/deactivate", {"confirm": "yes"}, follow_redirects=True
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    session.refresh(admin)
    assert admin.active and Role.ADMIN in admin.roles


def test_manage_committees_and_seats(browser, session):
    _admin(browser, session)
    reviewer = make_user(session, name="Carl Seat", email="carl@example.org")
    session.commit()
    created = browser.submit(
        "/admin/committees",
        {"name": "Appeals Panel", "description": "Hears appeals."},
        follow_redirects=True,
    )
    html = created.get_data(as_text=True)
    assert "Committee “Appeals Panel” created." in html
    duplicate = browser.submit("/admin/committees", {"name": "appeals panel", "description": ""})
    assert duplicate.status_code == 400
    assert "Another committee already has this name." in duplicate.get_data(as_text=True)

    committee_id = int(created.request.path.rsplit("/", 1)[1])
    url = f"/admin/committees/{committee_id}"
    unknown = browser.submit(
        f"{url}/seats", {"email": "ghost@example.org", "seat": "chair"}, form_url=url
    )
    assert unknown.status_code == 400 and "No account has this email address." in unknown.get_data(
        as_text=True
    )
    added = browser.submit(
        f"{url}/seats",
        {"email": "CARL@example.org", "seat": "chair"},
        form_url=url,
        follow_redirects=True,
    )
    assert "Carl Seat now sits on Appeals Panel." in added.get_data(as_text=True)
    session.refresh(reviewer)
    assert Role.CHAIR in reviewer.roles
    remove = f"{url}/seats/{reviewer.id}/remove"
    asked = browser.get(remove).get_data(as_text=True)
    assert "Remove Carl Seat from Appeals Panel?" in asked and 'class="button danger"' in asked
    assert f'href="{url}"' in asked  # the way back
    one_click = browser.submit(remove, {}, form_url=url)
    assert one_click.status_code == 303 and one_click.headers["Location"].endswith(remove)
    assert session.scalar(sa.select(sa.func.count()).select_from(CommitteeMembership)) == 1
    removed = browser.submit(remove, {"confirm": "yes"}, follow_redirects=True)
    assert "Removed from the committee." in removed.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(CommitteeMembership)) == 0


def test_admin_pages_show_no_case_content_links(browser, session):
    _admin(browser, session)
    make_committee(session)
    session.commit()
    nav = browser.get("/admin/users").get_data(as_text=True)
    assert "My grievances" not in nav


def test_deactivating_goes_through_the_confirmation_page_and_reactivating_does_not(
    browser, session
):
    _admin(browser, session)
    member = make_user(session, name="Dee Active", email="dee@example.org")
    session.commit()
    page = browser.get(f"/admin/users/{member.id}").get_data(as_text=True)
    deactivate = f"/admin/users/{member.id}/deactivate"
    assert f'href="{deactivate}"' in page  # a link to the confirmation, not a one-click button
    asked = browser.get(deactivate).get_data(as_text=True)
    assert "Deactivate the account of Dee Active?" in asked
    assert "signed out everywhere" in asked and "This cannot be undone." not in asked
    one_click = browser.submit(deactivate, {}, form_url=f"/admin/users/{member.id}")
    assert one_click.status_code == 303 and one_click.headers["Location"].endswith(deactivate)
    session.refresh(member)
    assert member.active
    done = browser.submit(deactivate, {"confirm": "yes"})
    assert done.status_code == 303
    session.refresh(member)
    assert not member.active
    back = browser.submit(
        f"/admin/users/{member.id}/reactivate", {}, form_url=f"/admin/users/{member.id}"
    )
    assert back.status_code == 303
    session.refresh(member)
    assert member.active
