"""The recusal matrix: every committee role against every way of being conflicted on a case.

A reviewer, a chair and a grievance panel member seated on the case at its level are each
conflicted by filing the case themselves, being named as a party by email or by member
number, or declaring a conflict. Conflicted, the case is nowhere for them: not in the
queue, not in its counts, and its page, evidence and status move answer 404 exactly as for a
reference that does not exist; and a chair cannot pick them to handle it. The control row:
the same person, not conflicted, has it all.
"""

from __future__ import annotations

import io
import re

import pytest

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.grievances import PanelSeat, Recusal
from portal.services.evidence import Upload
from tests.conftest import Browser
from tests.factories import PASSWORD, make_case, make_user, seat

ROLES = ("reviewer", "chair", "panel")
WAYS = ("filed", "named_by_email", "named_by_member_number", "recused", "not_conflicted")
PANEL_LEVEL = 3
ASSIGN_RE = re.compile(r'<select id="assign-assignee"[^>]*>(.*?)</select>', re.S)
COUNT_RE = re.compile(r'<span class="status[^"]*">([^<]+)</span> (\d+)</a>')


def _person(session, committees, role: str):  # type: ignore[no-untyped-def]
    roles = {"reviewer": Role.REVIEWER, "chair": Role.CHAIR, "panel": Role.PANEL}
    person = make_user(
        session,
        roles[role],
        Role.MEMBER,  # so they can file a grievance of their own
        email="judge@example.org",
        name="Jo Judge",
        member_number="M-4711",
    )
    services = committees["member-services"]
    if role == "reviewer":
        seat(session, services, person)
    elif role == "chair":
        seat(session, services, person, Seat.CHAIR)
    # A chair free of every conflict, so no case climbs the ladder by itself here.
    seat(session, services, make_user(session, Role.CHAIR, email="spare@example.org"), Seat.CHAIR)
    return person


def _case(app, session, role, way, person, member):  # type: ignore[no-untyped-def]
    filer = person if way == "filed" else member
    named = {
        "named_by_email": {"party_emails": ["judge@example.org"]},
        "named_by_member_number": {"party_member_numbers": ["M-4711"]},
    }.get(way, {})
    evidence = Upload("receipt.txt", io.BytesIO(b"a receipt for the dues"))
    case = make_case(app, session, filer, files=[evidence], **named)
    if role == "panel":
        case.escalation_level = PANEL_LEVEL
        session.add(PanelSeat(grievance_id=case.id, level=PANEL_LEVEL, user_id=person.id))
    if way == "recused":
        session.add(Recusal(grievance_id=case.id, user_id=person.id))
    session.commit()
    return case


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("role", ROLES)
def test_a_conflicted_person_finds_the_case_nowhere(app, session, committees, member, role, way):
    person = _person(session, committees, role)
    case = _case(app, session, role, way, person, member)
    browser = Browser(app.test_client())
    assert browser.sign_in("judge@example.org", PASSWORD).status_code == 303
    conflicted = way != "not_conflicted"
    url = f"/committee/cases/{case.reference}"
    expected = 404 if conflicted else 200

    queue = browser.get("/committee/queue").get_data(as_text=True)
    assert (case.reference in queue) is not conflicted
    counts = {label: int(n) for label, n in COUNT_RE.findall(queue)}
    assert sum(counts.values()) == (0 if conflicted else 1), counts
    assert ("0 open cases" if conflicted else "1 open case") in queue
    # Filtering by its state does not find it either.
    assert (
        case.reference in browser.get("/committee/queue?sla=on_track").get_data(as_text=True)
    ) is not conflicted

    assert browser.get(url).status_code == expected
    attachment = case.attachments[0]
    assert browser.get(f"{url}/evidence/{attachment.id}").status_code == expected
    moved = browser.submit(
        f"{url}/status",
        {"move-target": "under_review"},
        form_url="/committee/queue" if conflicted else url,
    )
    assert moved.status_code == (404 if conflicted else 303)
    session.refresh(case)
    assert case.status == ("acknowledged" if conflicted else "under_review")
    # Declaring a conflict is one more page of the case: closed to them too.
    assert browser.get(f"{url}/recuse").status_code == expected

    # The committee's other chair cannot give it to them (panel members are never offered).
    spare = Browser(app.test_client())
    assert spare.sign_in("spare@example.org", PASSWORD).status_code == 303
    page = spare.get(url).get_data(as_text=True)
    choices = ASSIGN_RE.search(page)
    assert choices, "the chair's page has no assignment choices"
    offered = role != "panel" and not conflicted
    assert (f'value="{person.id}"' in choices.group(1)) is offered
    assigned = spare.submit(f"{url}/assign", {"assign-assignee": str(person.id)}, form_url=url)
    assert assigned.status_code == (303 if offered else 400)
    session.refresh(case)
    assert (case.assignee_id == person.id) is offered
