"""The evidence folder is full: a real 256 KB tmpfs, filled until the next upload cannot fit.

Whoever uploads gets a clear message on the form they sent, with everything they typed kept
and a 400 (never a 500); no case, message or attachment row is written and no file, partial or
whole, stays in the store or in its incoming/ folder.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.grievances import Attachment, Grievance, Message
from portal.storage import EvidenceStore
from tests.conftest import Browser, csrf_token
from tests.factories import PASSWORD, make_user, seat
from tests.web.conftest import PDF, RECEIVED_RE, REF_RE, file_grievance, form_tokens
from tests.web.faults.conftest import fill, small_tmpfs

FULL = "We could not save your files just now, so nothing was sent."
# The first file fits, the second runs out of room half-way: both must go.
SMALL = b"Receipt for the March dues.\n" * 1000  # 28 KB
LARGE = PDF + b"%" + b"x" * 150_000


@pytest.fixture
def full_store(app, tmp_path) -> Iterator[EvidenceStore]:  # type: ignore[no-untyped-def]
    """The app's evidence folder on a 256 KB filesystem with about 80 KB left."""
    original = app.extensions["portal.store"]
    with small_tmpfs(tmp_path / "evidence") as mount:
        store = EvidenceStore(mount)
        fill(mount, leave=80 * 1024)
        app.extensions["portal.store"] = store
        try:
            yield store
        finally:
            app.extensions["portal.store"] = original


def files() -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(SMALL), "receipt.txt"), (io.BytesIO(LARGE), "statement.pdf")]


def left_behind(store: EvidenceStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file() and p.name != "filler"]


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_member_filing_with_evidence_keeps_everything_and_can_send_it_later(
    member_browser, session, full_store, caplog
):
    refused = file_grievance(member_browser, files=files(), subject="Dues charged twice")
    assert refused.status_code == 400
    # One line for the operator, with the cause and nothing the member wrote.
    logged = [r.getMessage() for r in caplog.records if r.name == "portal.evidence"]
    assert logged == ["evidence store refused a file: ENOSPC (No space left on device)"]
    page = refused.get_data(as_text=True)
    assert FULL in page and "Please choose the files again" in page
    assert "send it without the files now" in page
    assert "Dues charged twice" in page  # the review of what they wrote, all of it
    assert "My card was charged twice for the annual dues in March." in page
    assert 'id="evidence-error"' in page
    assert (count(session, Grievance), count(session, Attachment)) == (0, 0)
    assert left_behind(full_store) == []

    # Room again (the operator freed space): the same review page sends it, files and all.
    (full_store.root / "filler").unlink()
    send = member_browser.client.post(
        refused.request.path,
        data={"csrf_token": csrf_token(page), "action": "submit", "evidence": files()},
        content_type="multipart/form-data",
    )
    assert send.status_code == 303
    assert (count(session, Grievance), count(session, Attachment)) == (1, 2)


def test_the_korean_member_reads_it_in_korean(member_browser, session, full_store):
    member_browser.client.post(
        "/language",
        data={
            "csrf_token": csrf_token(member_browser.get("/my/grievances").get_data(as_text=True)),
            "language": "ko",
            "next": "/",
        },
    )
    refused = file_grievance(member_browser, files=files())
    assert refused.status_code == 400
    assert "지금은 파일을 저장할 수 없어 아무것도 보내지 않았습니다." in refused.get_data(
        as_text=True
    )


def test_staff_recording_with_documents_keeps_the_form(app, session, committees, full_store):
    member = make_user(session, Role.MEMBER, email="caller@example.org")
    desk = make_user(session, Role.REVIEWER, email="desk@example.org")
    seat(session, committees["governance"], desk)
    session.commit()
    staff = Browser(app.test_client())
    assert staff.sign_in("desk@example.org", PASSWORD).status_code == 303
    page = staff.get(f"/committee/record?member={member.id}").get_data(as_text=True)
    response = staff.client.post(
        "/committee/record",
        data={
            **form_tokens(page),
            "member_id": str(member.id),
            "channel": "letter",
            "category": "governance",
            "subject": "Ballot papers missing",
            "narrative": "Wrote to say ballot papers never arrived.",
            "received_at": RECEIVED_RE.search(page).group(1),
            "evidence": files(),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert FULL in html and 'value="Ballot papers missing"' in html
    assert "Wrote to say ballot papers never arrived." in html
    assert (count(session, Grievance), count(session, Attachment)) == (0, 0)
    assert left_behind(full_store) == []


def test_a_message_with_files_and_more_evidence_on_the_case_page(
    app, member_browser, session, full_store
):
    filed = file_grievance(member_browser)  # filed without files
    url = f"/grievances/{REF_RE.search(filed.headers['Location']).group(0)}"
    page = member_browser.get(url).get_data(as_text=True)
    message = member_browser.client.post(
        f"{url}/messages",
        data={
            "csrf_token": csrf_token(page),
            "body": "The bank's letter is attached.",
            "evidence": files(),
        },
        content_type="multipart/form-data",
    )
    assert message.status_code == 400
    html = message.get_data(as_text=True)
    assert FULL in html and "The bank&#39;s letter is attached.</textarea>" in html
    more = member_browser.client.post(
        f"{url}/evidence",
        data={"csrf_token": csrf_token(page), "evidence": files()},
        content_type="multipart/form-data",
    )
    assert more.status_code == 400 and FULL in more.get_data(as_text=True)
    assert (count(session, Message), count(session, Attachment)) == (0, 0)
    assert left_behind(full_store) == []
