"""Fixtures for the member and staff case flows."""

from __future__ import annotations

import re

import pytest

from portal.domain.roles import Role
from tests.conftest import Browser, csrf_token, form_tokens
from tests.factories import PASSWORD, make_policy_committees, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REF_RE = re.compile(r"GRV-\d{4}-\d{6}")
# The time received that the staff form fills in (now, in the association's time zone).
RECEIVED_RE = re.compile(r'name="received_at"[^>]*value="([^"]+)"')


@pytest.fixture
def committees(app, session):  # type: ignore[no-untyped-def]
    made = make_policy_committees(session, app.extensions["portal.policies"])
    session.commit()
    return made


@pytest.fixture
def member(session, committees):  # type: ignore[no-untyped-def]
    user = make_user(session, Role.MEMBER, email="filer@example.org", name="Fiona Filer")
    session.commit()
    return user


def signed_in(app, email: str) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(app.test_client())
    assert browser.sign_in(email, PASSWORD).status_code == 303
    return browser


@pytest.fixture
def member_browser(browser, member):  # type: ignore[no-untyped-def]
    assert browser.sign_in("filer@example.org", PASSWORD).status_code == 303
    return browser


FIELDS = {
    "category": "billing",
    "subject": "Charged twice for dues",
    "narrative": "My card was charged twice for the annual dues in March.",
    "people_involved": "The membership office",
    "party_emails": "",
    "party_member_numbers": "",
    "occurred_on": "2026-03-02",
    "desired_outcome": "A refund of the second charge",
}


def file_grievance(browser: Browser, files=None, **changes):  # type: ignore[no-untyped-def]
    """Fill the form, review it, attach files and send it, as a member does: the review is a
    page of its own (a GET after a 303), and only the files travel with the last step."""
    page = browser.get("/grievances/new").get_data(as_text=True)
    data = {**form_tokens(page), **FIELDS, **changes}
    review = browser.client.post("/grievances/new", data={**data, "action": "review"})
    if review.status_code != 303:
        return review
    review_url = review.headers["Location"]
    if "/grievances/new?draft=" in review_url:
        return browser.get(review_url)  # refused: the form again, as typed, with its mistakes
    shown = browser.get(review_url).get_data(as_text=True)
    payload: dict[str, object] = {"csrf_token": csrf_token(shown), "action": "submit"}
    if files:
        payload["evidence"] = files
    return browser.client.post(review_url, data=payload, content_type="multipart/form-data")


@pytest.fixture
def mailbox(app, tmp_path):  # type: ignore[no-untyped-def]
    """The mail the portal sends, delivered on demand (`mailbox.deliver()`)."""
    from tests.mailbox import Mailbox

    return Mailbox(app, tmp_path / "mail")
