"""Triage on the committee's case page: the chair assigns and changes kind and priority; a
reviewer may only take an unassigned case; the member reads what changed, never who."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.domain import sla
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in


@pytest.fixture
def people(app, session, committees, member):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    found = {
        "reviewer": make_user(
            session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer"
        ),
        "named": make_user(session, Role.REVIEWER, email="ned@example.org", name="Ned Named"),
        "chair": make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair"),
        "ethics": make_user(session, Role.CHAIR, email="erin@example.org", name="Erin Ethics"),
    }
    seat(session, services, found["reviewer"])
    seat(session, services, found["named"])
    seat(session, services, found["chair"], Seat.CHAIR)
    seat(session, committees["ethics"], found["ethics"], Seat.CHAIR)
    session.commit()
    return found


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.DOTALL)
    assert select, f"no select {name}"
    return [o.strip() for o in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))]


def test_the_chair_assigns_from_people_who_are_not_conflicted(app, session, people, member):
    case = make_case(app, session, member, party_emails=["ned@example.org"])
    session.commit()
    chair = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    page = chair.get(url).get_data(as_text=True)
    names = options(page, "assign-assignee")
    assert "Rita Reviewer (Reviewer)" in names and "Carl Chair (Chair)" in names
    assert not any("Ned" in n for n in names)
    refused = chair.submit(f"{url}/assign", {"assign-assignee": str(people["named"].id)}, url)
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert 'id="error-summary"' in text and "not involved in the case" in text
    done = chair.submit(f"{url}/assign", {"assign-assignee": str(people["reviewer"].id)}, url)
    assert done.status_code == 303 and done.headers["Location"].endswith("#triage")
    session.refresh(case)
    assert case.assignee_id == people["reviewer"].id
    staff_page = chair.get(url).get_data(as_text=True)
    assert "Assigned to Rita Reviewer" in staff_page
    # The member reads that someone was assigned, on their timeline.
    mine = signed_in(app, "filer@example.org").get(f"/grievances/{case.reference}")
    timeline = mine.get_data(as_text=True).split('id="timeline-heading"')[1]
    assert "A reviewer has been assigned" in timeline and "Assigned to" not in timeline


def test_a_reviewer_cannot_triage_but_can_take_an_unassigned_case(app, session, people, member):
    case = make_case(app, session, member)
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    page = reviewer.get(url).get_data(as_text=True)
    assert "Assign to me" in page and "Change the priority" not in page
    assert "The committee's chair assigns grievances" in page
    refused = reviewer.submit(
        f"{url}/priority", {"priority-priority": "urgent", "priority-reason": "Why not"}, url
    )
    assert refused.status_code == 403
    refused = reviewer.submit(f"{url}/assign", {"assign-assignee": str(people["reviewer"].id)}, url)
    assert refused.status_code == 403
    session.refresh(case)
    assert case.priority == "normal" and case.assignee_id is None
    assert reviewer.submit(f"{url}/take", {}, url).status_code == 303
    session.refresh(case)
    assert case.assignee_id == people["reviewer"].id
    assert "Assign to me" not in reviewer.get(url).get_data(as_text=True)
    actions = session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "case.assigned" in actions


def test_a_priority_change_needs_a_reason_and_the_member_reads_it(app, session, people, member):
    policies = app.extensions["portal.policies"]
    case = make_case(app, session, member)
    session.commit()
    before = case.resolution_due_at
    chair = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    refused = chair.submit(f"{url}/priority", {"priority-priority": "urgent"}, url)
    assert refused.status_code == 400
    assert "Say why the priority changes" in refused.get_data(as_text=True)
    session.refresh(case)
    assert case.priority == "normal"
    data = {"priority-priority": "urgent", "priority-reason": "Their job is at risk."}
    assert chair.submit(f"{url}/priority", data, url).status_code == 303
    session.refresh(case)
    first, resolution = sla.due_dates(
        case.submitted_at, policies.priorities["urgent"], policies.calendar
    )
    assert case.priority == "urgent" and case.resolution_due_at == resolution < before
    assert case.first_response_due_at == first
    member_browser = signed_in(app, "filer@example.org")
    mine = member_browser.get(f"/grievances/{case.reference}").get_data(as_text=True)
    assert "The priority was changed to Urgent: “Their job is at risk.”" in mine
    member.language = "ko"
    session.commit()
    korean = member_browser.get(f"/grievances/{case.reference}").get_data(as_text=True)
    assert "우선순위가 긴급" in korean


def test_a_kind_of_another_committee_moves_the_case_out_of_this_queue(app, session, people, member):
    case = make_case(app, session, member)
    case.assignee_id = people["reviewer"].id
    session.commit()
    chair = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    moved = chair.submit(f"{url}/category", {"category-category": "ethics"}, url)
    assert moved.status_code == 303 and moved.headers["Location"].endswith("/committee/queue")
    followed = chair.get(moved.headers["Location"]).get_data(as_text=True)
    assert "now with the Ethics &amp; Professional Conduct committee" in followed
    assert case.reference not in followed
    assert chair.get(url).status_code == 404
    ethics = signed_in(app, "erin@example.org")
    queue = ethics.get("/committee/queue?assignee=unassigned").get_data(as_text=True)
    assert case.reference in queue
    page = ethics.get(url).get_data(as_text=True)
    assert "Nobody yet" in page
    mine = signed_in(app, "filer@example.org").get(f"/grievances/{case.reference}")
    assert "it is now with the Ethics &amp; Professional Conduct committee" in mine.get_data(
        as_text=True
    )


def test_the_chairs_page_costs_the_same_queries_however_large_the_committee(
    app, session, people, committees, member
):
    from sqlalchemy import event

    from portal.db import database

    case = make_case(app, session, member)
    session.commit()
    chair = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    engine = database(app).engine
    statements: list[str] = []

    def counted(*args: object) -> None:
        statements.append(str(args[2]))

    def cost() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", counted)
        try:
            assert chair.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", counted)
        return len(statements)

    small = cost()
    for n in range(5):
        extra = make_user(session, Role.REVIEWER, email=f"extra{n}@example.org", name=f"Extra {n}")
        seat(session, committees["member-services"], extra)
    session.commit()
    large = cost()
    assert "Extra 4 (Reviewer)" in chair.get(url).get_data(as_text=True)
    assert large == small
