"""The case page keeps every promise in view, and the procedure version is a readable page."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from portal.models.grievances import Grievance
from portal.models.policies import PolicyVersion
from portal.policies.loader import canonical_json
from tests.factories import make_user
from tests.web.conftest import REF_RE, file_grievance
from tests.web.statements import statements_for


def _filed(browser, session) -> Grievance:  # type: ignore[no-untyped-def]
    response = file_grievance(browser)
    assert response.status_code == 303
    ref = REF_RE.search(response.headers["Location"]).group(0)
    return session.scalar(sa.select(Grievance).where(Grievance.reference == ref))


def test_case_page_shows_both_dates_priority_level_committee_and_handler(
    app, member_browser, session
):
    case = _filed(member_browser, session)
    html = member_browser.get(f"/grievances/{case.reference}").get_data(as_text=True)
    assert "First response" in html and "Decision" in html
    assert html.count("Due by ") == 2  # first response and decision
    assert "Priority</dt><dd>Normal" in html
    assert "Level 1: Review by a committee reviewer, handled by: Reviewer" in html
    assert "The Member Services committee" in html
    assert "Not yet assigned to a reviewer" in html
    assert f"<code>{case.policy_version[:12]}" not in html  # no hash: a date and a link
    assert "Handled under the procedure as it stood on " in html
    assert f"/policies/versions/{case.policy_version}" in html
    # The version's date comes with the case, not in a query of its own.
    asked = statements_for(app, member_browser, f"/grievances/{case.reference}")
    assert not [s for s in asked if s.lstrip().startswith("SELECT policy_versions")]

    reviewer = make_user(session, name="Rui Reviewer")
    case.assignee = reviewer
    case.first_response_at = case.submitted_at + timedelta(hours=2)
    session.commit()
    html = member_browser.get(f"/grievances/{case.reference}").get_data(as_text=True)
    assert "Handled by</dt><dd>Rui Reviewer" in html
    assert "Given on " in html and html.count("Due by ") == 1


def test_case_page_speaks_korean(app, member_browser, session):
    case = _filed(member_browser, session)
    html = member_browser.get(
        f"/grievances/{case.reference}", headers={"Accept-Language": "ko"}
    ).get_data(as_text=True)
    assert "보통" in html and "위원회 심사위원의 검토" in html


def test_the_version_page_says_what_changed_since_the_version_before(app, client, session):
    from portal.services.policies import record_policy_version

    policies = app.extensions["portal.policies"]
    record_policy_version(session, policies)
    row = session.get(PolicyVersion, policies.version)
    older = json.loads(row.content)
    priorities = next(k for k in older if k.startswith("priorities"))
    older[priorities]["priorities"]["normal"]["label"]["en"] = "Ordinary"
    session.add(
        PolicyVersion(
            version="0" * 64,
            content=canonical_json(older),
            recorded_at=row.recorded_at - timedelta(days=30),
        )
    )
    session.commit()
    response = client.get(f"/policies/versions/{policies.version}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "What changed since the version of" in html
    assert "priorities.normal.label.en changed from" in html
    assert "changed from “Ordinary” to “Normal”." in html
    first = client.get("/policies/versions/" + "0" * 64).get_data(as_text=True)
    assert "It is the first version the portal recorded" in first
    assert client.get("/policies/versions/" + "f" * 64).status_code == 404
    assert client.get("/policies/versions/abc").status_code == 404
