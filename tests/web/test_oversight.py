"""The auditor's audit trail: by case reference and by person, paginated, never content."""

from __future__ import annotations

import io
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from portal import db as portal_db
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.services import audit
from portal.services.evidence import Upload
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in

SUBJECT = "Dues moved to a private account"
NARRATIVE = "The treasurer moved our dues into his own account in March."
FILE_TEXT = b"bank statement, plain text"


@pytest.fixture
def world(app, session, committees, member):  # type: ignore[no-untyped-def]
    """Fiona's case with a file, opened and its file downloaded by a reviewer; an
    administrator who changed someone's roles; an auditor."""
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
    seat(session, committees["member-services"], reviewer, Seat.REVIEWER)
    make_user(session, Role.ADMIN, email="admin@example.org", name="Ada Admin")
    make_user(session, Role.AUDITOR, email="auditor@example.org", name="Aud Itor")
    other = make_user(session, email="other@example.org", name="Olga Other")
    case = make_case(
        app,
        session,
        member,
        subject=SUBJECT,
        narrative=NARRATIVE,
        files=[Upload("statement.txt", io.BytesIO(FILE_TEXT))],
    )
    session.commit()
    rev = signed_in(app, "rev@example.org")
    assert rev.get(f"/committee/cases/{case.reference}").status_code == 200
    download = rev.get(f"/committee/cases/{case.reference}/evidence/{case.attachments[0].id}")
    assert download.status_code == 200
    admin = signed_in(app, "admin@example.org")
    admin.submit(
        f"/admin/users/{other.id}/roles",
        {"roles": ["member", "chair"]},
        form_url=f"/admin/users/{other.id}",
    )
    return case, reviewer, other


def _rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


def test_the_auditor_lands_on_the_trail_and_finds_a_case_by_reference(app, session, world):
    case, _reviewer, _other = world
    auditor = signed_in(app, "auditor@example.org")
    home = auditor.get("/")
    assert home.headers["Location"].endswith("/oversight/audit")
    page = auditor.get(f"/oversight/audit?reference={case.reference.lower()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Entries about case {case.reference} and its evidence." in html
    rows = _rows(html)
    text = "\n".join(rows)
    for action in ("case.filed", "case.status", "case.viewed", "case.evidence_downloaded"):
        assert f"<code>{action}</code>" in text, action
    filed = next(r for r in rows if "<code>case.filed</code>" in r)
    assert "case member" in filed and "<code>channel</code>: web" in filed
    opened = next(r for r in rows if "<code>case.viewed</code>" in r)
    assert "Rita Reviewer" in opened and case.reference in opened
    downloaded = next(r for r in rows if "<code>case.evidence_downloaded</code>" in r)
    assert "Evidence file" in downloaded and case.reference in downloaded
    # Status changes by the system are the system's.
    assert any("<code>case.status</code>" in r and "system" in r for r in rows)
    # Nothing of the case itself, nor who filed it.
    for secret in (SUBJECT, NARRATIVE, FILE_TEXT.decode(), "statement", "Fiona Filer"):
        assert secret not in html, secret
    # Entries about other things are not listed.
    assert "user.roles_changed" not in text


def test_by_person_lists_what_they_did_and_what_was_done_to_their_account(app, session, world):
    case, _reviewer, _other = world
    auditor = signed_in(app, "auditor@example.org")
    html = auditor.get("/oversight/audit?email=REV@example.org").get_data(as_text=True)
    text = "\n".join(_rows(html))
    assert "Entries by or about Rita Reviewer." in html
    assert "<code>account.signed_in</code>" in text and "<code>case.viewed</code>" in text
    assert "case.filed" not in text  # the member filed it
    html = auditor.get("/oversight/audit?email=other@example.org").get_data(as_text=True)
    changed = next(r for r in _rows(html) if "user.roles_changed" in r)
    assert "Ada Admin" in changed and "Olga Other" in changed
    assert "<code>after</code>: chair, member" in changed
    both = auditor.get(f"/oversight/audit?reference={case.reference}&email=rev@example.org")
    text = "\n".join(_rows(both.get_data(as_text=True)))
    assert "case.viewed" in text and "account.signed_in" not in text and "case.filed" not in text


def test_unknown_filters_are_refused_with_a_reason(app, session, world):
    auditor = signed_in(app, "auditor@example.org")
    for query, message in (
        ("reference=GRV-1999-000001", "No case has this reference."),
        ("email=nobody@example.org", "No account has this email address."),
        ("email=not-an-address", "Enter a valid email address"),
        ("reference=" + "X" * 41, "A case reference has at most 40 characters."),
        ("before=99999999999999999999999", None),
    ):
        response = auditor.get(f"/oversight/audit?{query}")
        html = response.get_data(as_text=True)
        if message is None:
            assert response.status_code == 200
            continue
        assert response.status_code == 400, query
        assert message in html and 'class="error-summary"' in html, query


def test_detail_that_is_not_plain_is_withheld(app, session, world):
    case, reviewer, _other = world
    audit.record(
        session, reviewer, "case.note", "grievance", case.id, {"text": "Private words, here!"}
    )
    session.commit()
    html = signed_in(app, "auditor@example.org").get(f"/oversight/audit?reference={case.reference}")
    text = html.get_data(as_text=True)
    assert "Private words" not in text and "<code>text</code>: (not shown)" in text


def test_pages_of_fifty_newest_first_and_the_look_is_recorded(app, session, world):
    case, reviewer, _other = world
    for n in range(120):
        audit.record(session, reviewer, "case.viewed", "grievance", case.id, {"n": n})
    session.commit()
    auditor = signed_in(app, "auditor@example.org")
    url = f"/oversight/audit?reference={case.reference}"
    seen: list[str] = []
    pages = 0
    while url:
        html = auditor.get(url).get_data(as_text=True)
        rows = _rows(html)
        assert len(rows) <= 50
        seen += [r for r in rows if "<code>n</code>" in r]
        older = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = older.group(1).replace("&amp;", "&") if older else ""
        pages += 1
    numbers = [int(re.search(r"<code>n</code>: (\d+)", r).group(1)) for r in seen]
    assert numbers == list(range(119, -1, -1)) and pages == 3
    looks = session.scalars(
        sa.select(AuditEntry.detail).where(AuditEntry.action == "audit.viewed")
    ).all()
    assert len(looks) == 3 and all(str(case.id) in d for d in looks)


@contextmanager
def _statements(app):  # type: ignore[no-untyped-def]
    engine = portal_db.database(app).engine
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_a_page_costs_a_bounded_number_of_statements_whatever_the_log_holds(app, session, world):
    case, reviewer, other = world
    auditor = signed_in(app, "auditor@example.org")
    counts = []
    for extra in (5, 80):
        for n in range(extra):
            audit.record(session, reviewer, "case.viewed", "grievance", case.id, {"n": n})
            audit.record(session, reviewer, "user.roles_changed", "user", other.id, {"user": 1})
        session.commit()
        for query in (f"reference={case.reference}", "email=rev@example.org", ""):
            with _statements(app) as seen:
                assert auditor.get(f"/oversight/audit?{query}").status_code == 200
            counts.append((query, len(seen)))
    # At most one statement per kind of object named on the page, however long the log:
    # the larger log costs no more, and a page stays under a fixed ceiling.
    assert all(big <= small for (_q, small), (_q2, big) in zip(counts[:3], counts[3:])), counts
    assert max(n for _q, n in counts) <= 20, counts


@pytest.mark.parametrize("email", ["admin@example.org", "rev@example.org", "filer@example.org"])
def test_only_auditors_read_the_trail(app, session, world, email):
    assert signed_in(app, email).get("/oversight/audit").status_code == 403
