"""Declaring a conflict of interest, and a conflicted chair's duties passing on."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.models.grievances import PanelSeat, Recusal
from portal.services import notifications, recusals
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in


@pytest.fixture
def people(app, session, committees, member):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
    chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    seat(session, services, reviewer)
    seat(session, services, chair, Seat.CHAIR)
    session.commit()
    return {"reviewer": reviewer, "chair": chair, "committee": services}


def actions(session, case_id, action):  # type: ignore[no-untyped-def]
    return session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_id == str(case_id)
        )
    ).all()


def test_a_reviewer_declares_a_conflict_and_loses_the_case(app, session, people, member):
    case = make_case(app, session, member)
    case.assignee_id = people["reviewer"].id
    session.commit()
    browser = signed_in(app, "rev@example.org")
    url = f"/committee/cases/{case.reference}"
    page = browser.get(url).get_data(as_text=True)
    assert "Declare a conflict of interest" in page
    confirm = browser.get(f"{url}/recuse")
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "Charged twice for dues" in text and "This cannot be undone." in text
    # Without the confirmation page's yes, nothing happens.
    assert browser.submit(f"{url}/recuse", {}, form_url=url).status_code == 303
    assert session.scalar(sa.select(sa.func.count()).select_from(Recusal)) == 0

    done = browser.submit(f"{url}/recuse", {"confirm": "yes"}, form_url=f"{url}/recuse")
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/committee/queue")
    queue = browser.get("/committee/queue").get_data(as_text=True)
    assert f"You have stepped back from {case.reference}" in queue
    assert f">{case.reference}<" not in queue
    assert browser.get(url).status_code == 404
    assert browser.get(f"{url}/recuse").status_code == 404
    session.refresh(case)
    assert case.assignee_id is None  # back to the unassigned cases
    assert len(actions(session, case.id, "case.recused")) == 1
    # Nobody else lost it: the chair still opens it, still at level 1.
    assert signed_in(app, "chair@example.org").get(url).status_code == 200
    assert case.escalation_level == 1


def test_another_chair_takes_over_from_a_conflicted_one(app, session, people, member):
    second = make_user(session, Role.CHAIR, email="chair2@example.org", name="Cleo Chair")
    seat(session, people["committee"], second, Seat.CHAIR)
    case = make_case(app, session, member)
    session.commit()
    assert [u.id for u in recusals.who_chairs(session, case)] == [people["chair"].id, second.id]
    browser = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    assert (
        browser.submit(f"{url}/recuse", {"confirm": "yes"}, form_url=f"{url}/recuse").status_code
        == 303
    )
    session.refresh(case)
    assert [u.id for u in recusals.who_chairs(session, case)] == [second.id]
    assert case.escalation_level == 1
    assert not actions(session, case.id, "case.escalated")


def test_the_last_free_chair_stepping_back_moves_the_case_up(app, session, people, member):
    board = [
        make_user(session, Role.PANEL, email=f"board{n}@example.org", name=f"Board {n}")
        for n in range(3)
    ]
    case = make_case(app, session, member)
    session.commit()
    browser = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    assert (
        browser.submit(f"{url}/recuse", {"confirm": "yes"}, form_url=f"{url}/recuse").status_code
        == 303
    )
    session.refresh(case)
    assert recusals.who_chairs(session, case) == []
    # Level 2 is the chair's; the case goes past it to the grievance panel.
    assert case.escalation_level == 3
    escalated = [e for e in case.events if e.kind == "escalated"]
    assert len(escalated) == 1 and not escalated[0].public
    assert "conflict of interest" in escalated[0].detail
    (entry,) = actions(session, case.id, "case.escalated")
    assert "chair_conflicted" in entry.detail
    # The panel of that level is seated, so someone can act on it now.
    seated = session.scalars(
        sa.select(PanelSeat.user_id).where(PanelSeat.grievance_id == case.id, PanelSeat.level == 3)
    ).all()
    assert sorted(seated) == sorted(u.id for u in board)
    panel = signed_in(app, "board0@example.org")
    assert panel.get(url).status_code == 200
    assert case.reference in panel.get("/committee/queue").get_data(as_text=True)
    # The reviewer sees where it went; the member sees no internal event.
    page = signed_in(app, "rev@example.org").get(url).get_data(as_text=True)
    assert "no chair of the committee is free of a conflict of interest" in page
    member_page = signed_in(app, "filer@example.org").get(f"/grievances/{case.reference}")
    assert "conflict of interest" not in member_page.get_data(as_text=True)


def test_a_case_naming_the_only_chair_starts_where_someone_can_act(app, session, people, member):
    case = make_case(app, session, member, party_emails=["chair@example.org"])
    session.commit()
    assert case.escalation_level == 3
    assert (
        signed_in(app, "chair@example.org").get(f"/committee/cases/{case.reference}").status_code
        == 404
    )


def test_a_chair_named_by_member_number_is_conflicted_from_the_start(app, session, people, member):
    people["chair"].member_number = "M-2041"
    session.flush()
    case = make_case(app, session, member, party_member_numbers=[" M-2041 "])
    session.commit()
    assert case.escalation_level == 3
    assert recusals.who_chairs(session, case) == []  # asked of the stored case, as later on


def test_a_chair_a_new_case_names_is_not_told_of_it_and_the_free_chair_is(
    app, session, people, member
):
    other = make_user(session, Role.CHAIR, email="chair2@example.org", name="Cora Chair")
    seat(session, people["committee"], other, Seat.CHAIR)
    session.commit()
    case = make_case(app, session, member, party_emails=["chair@example.org"])
    session.commit()
    assert case.escalation_level == 1  # one chair is free to act: nothing passes on
    told = {u.email: notifications.unread_count(session, u) for u in (people["chair"], other)}
    assert told == {"chair@example.org": 0, "chair2@example.org": 1}


def test_a_committee_without_chairs_is_not_a_conflict(app, session, committees, member):
    reviewer = make_user(session, Role.REVIEWER, email="solo@example.org")
    seat(session, committees["member-services"], reviewer)
    case = make_case(app, session, member)
    session.commit()
    assert case.escalation_level == 1
    assert recusals.who_chairs(session, case) == []
