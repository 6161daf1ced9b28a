"""The dashboard, its CSV exports, root causes and the corrective-action register, by role."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.db import utcnow
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.models.corrective_actions import CorrectiveAction
from portal.models.grievances import Grievance
from portal.services import casefile, decisions
from portal.services.kpi_export import csv_lines, safe_cell
from tests.conftest import csrf_token
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in


@pytest.fixture
def staff(app, session, committees, member):  # type: ignore[no-untyped-def]
    people = {
        "chair": make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair"),
        "reviewer": make_user(session, Role.REVIEWER, email="rev@example.org"),
        "admin": make_user(session, Role.ADMIN, email="admin@example.org"),
        "auditor": make_user(session, Role.AUDITOR, email="auditor@example.org"),
    }
    seat(session, committees["member-services"], people["chair"], Seat.CHAIR)
    seat(session, committees["member-services"], people["reviewer"])
    case = make_case(app, session, member, now=utcnow() - timedelta(days=3))
    found, standing = casefile.committee_case(session, people["chair"], case.reference)
    decisions.record_decision(
        session, people["chair"], found, standing, outcome="upheld", rationale="Refund due.",
        remedy="Refund", clauses=["remedies"], policies=app.extensions["portal.policies"],
    )  # fmt: skip
    session.commit()
    people["case"] = case
    return people


def last_action(session) -> AuditEntry:  # type: ignore[no-untyped-def]
    return session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()


def test_the_chair_reads_the_dashboard_with_charts_and_their_tables(app, staff):
    page = signed_in(app, "chair@example.org").get("/insight/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Grievances filed over time" in html and "How long decisions took" in html
    assert 'src="data:image/svg+xml;base64,' in html  # drawn on the server, no script
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Charged twice" not in html  # figures, never a case's words
    korean = signed_in(app, "chair@example.org")
    korean.submit("/language", {"language": "ko", "next": "/insight/"}, form_url="/insight/")
    assert "결정까지 걸린 시간" in korean.get("/insight/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["filer@example.org", "rev@example.org"])
def test_members_and_reviewers_get_no_dashboard(app, staff, who):
    browser = signed_in(app, who)
    for url in ("/insight/", "/insight/dashboard.csv?table=summary", "/insight/cases.csv",
                "/insight/actions", "/insight/report.pdf?month=2026-11"):  # fmt: skip
        assert browser.get(url).status_code == 403, url


def test_bad_filters_are_a_clear_400(app, staff):
    browser = signed_in(app, "chair@example.org")
    page = browser.get("/insight/?from=2026-05-01&to=2026-04-01")
    assert page.status_code == 400
    assert "The end of the period must not be before its start." in page.get_data(as_text=True)
    assert browser.get("/insight/?from=yesterday").status_code == 400
    assert browser.get("/insight/?committee=ethics").status_code == 400
    assert browser.get("/insight/dashboard.csv?table=nope").status_code == 400
    assert browser.get("/insight/report.pdf?month=2099-01").status_code == 400


def test_any_table_downloads_as_csv_with_the_filters_and_is_audited(app, session, staff):
    browser = signed_in(app, "admin@example.org")
    today = utcnow().date()
    got = browser.get(
        f"/insight/dashboard.csv?table=categories&from={today - timedelta(days=9)}&to={today}"
    )
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert "attachment" in got.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Kind", "Filed"]
    assert rows[1][:2] == ["Dues and billing", "1"]
    entry = last_action(session)
    assert entry.action == "kpis.exported" and entry.object_id == "categories"


def test_the_case_list_is_the_chairs_and_holds_no_content(app, session, staff):
    got = signed_in(app, "chair@example.org").get("/insight/cases.csv")
    text = got.get_data(as_text=True)
    assert got.status_code == 200 and staff["case"].reference in text
    assert "Charged twice" not in text and "Fiona" not in text
    assert last_action(session).action == "cases.exported"
    for who in ("admin@example.org", "auditor@example.org"):
        assert signed_in(app, who).get("/insight/cases.csv").status_code == 403


def test_csv_cells_that_a_spreadsheet_would_run_are_defused():
    assert [safe_cell(v) for v in ("=1+2", "+SUM(A1)", "-3", "@cmd", "plain", 4, 2.25)] == [
        "'=1+2", "'+SUM(A1)", "'-3", "'@cmd", "plain", "4", "2.2",
    ]  # fmt: skip
    text = "".join(csv_lines(["=Name"], [['=HYPERLINK("http://x")']]))
    assert text.startswith("\ufeff'=Name") and "'=HYPERLINK" in text


def test_a_reviewer_tags_the_root_cause_and_the_five_whys_are_encrypted(app, session, staff):
    case = staff["case"]
    browser = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    page = browser.get(url).get_data(as_text=True)
    assert "Five whys (optional)" in page
    done = browser.submit(
        f"{url}/root-cause",
        {"rootcause-root_cause": "billing-system", "rootcause-why_1": "Card charged twice",
         "rootcause-why_2": "The retry ran after a timeout"},
        form_url=url,
    )  # fmt: skip
    assert done.status_code == 303
    session.expire_all()
    stored = session.get(Grievance, case.id)
    assert stored.root_cause == "billing-system"
    assert stored.five_whys == "Card charged twice\nThe retry ran after a timeout"
    assert b"retry" not in bytes(stored.five_whys_ct)
    refused = browser.submit(
        f"{url}/root-cause", {"rootcause-root_cause": "bad-luck"}, form_url=url
    )
    assert refused.status_code == 400
    dashboard = signed_in(app, "chair@example.org").get("/insight/").get_data(as_text=True)
    assert "Billing system" in dashboard


def test_chairs_run_the_register_and_oversight_reads_it(app, session, staff):
    chair = signed_in(app, "chair@example.org")
    due = (utcnow() + timedelta(days=30)).date().isoformat()
    added = chair.submit(
        "/insight/actions",
        {"action-committee": "member-services", "action-title": "Send a receipt for every payment",
         "action-owner": "Membership office", "action-due_on": due,
         "action-link": "category:billing", "action-description": ""},
    )  # fmt: skip
    assert added.status_code == 303
    action = session.scalars(sa.select(CorrectiveAction)).one()
    done = chair.submit(
        f"/insight/actions/{action.id}",
        {f"a{action.id}-status": "completed", f"a{action.id}-completed_on": ""},
        form_url="/insight/actions",
    )
    assert done.status_code == 303
    page = chair.get("/insight/actions").get_data(as_text=True)
    # The case filed three days ago counts before the completion (today), none after yet.
    assert "Send a receipt for every payment" in page and "1 grievance" in page
    auditor = signed_in(app, "auditor@example.org")
    seen = auditor.get("/insight/actions").get_data(as_text=True)
    assert "Send a receipt for every payment" in seen and "Open a corrective action" not in seen
    token = csrf_token(seen)
    refused = auditor.client.post(
        "/insight/actions",
        data={"csrf_token": token, "action-committee": "member-services", "action-title": "x",
              "action-owner": "x", "action-due_on": due, "action-link": "category:billing"},
    )  # fmt: skip
    assert refused.status_code == 403


def test_a_reply_from_the_case_page_records_its_working_hours(app, session, committees, member):
    reviewer = make_user(session, Role.REVIEWER, email="rev2@example.org")
    seat(session, committees["member-services"], reviewer)
    case = make_case(app, session, member)
    session.commit()
    url = f"/committee/cases/{case.reference}"
    sent = signed_in(app, "rev2@example.org").submit(
        f"{url}/reply", {"reply-body": "We are looking into it."}, form_url=url
    )
    assert sent.status_code == 303
    session.expire_all()
    stored = session.get(Grievance, case.id)
    assert stored.first_response_at is not None and stored.first_response_hours is not None
    assert stored.first_response_met is True
