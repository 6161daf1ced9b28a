"""Seating a panel: nobody who took part in the case, nobody conflicted, the least busy first."""

from __future__ import annotations

import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.grievances import (
    CaseEvent,
    Decision,
    InternalNote,
    Message,
    PanelSeat,
    PartyIndex,
    Recusal,
)
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.services import panels
from tests.factories import make_user
from tests.unit.services.conftest import at, panel_members


def _seated(seats) -> set[int]:  # type: ignore[no-untyped-def]
    return {s.user_id for s in seats}


def test_a_panel_of_the_policy_size_is_seated(session, policies, make_case):
    people = panel_members(session, 4)
    case = make_case(level=3)
    seats = panels.seat_panel(session, case, 3, policies, at(3, 10))
    assert len(seats) == policies.ladder.panel.size == 3
    assert _seated(seats) == {p.id for p in people[:3]}  # equally free: by account
    kinds = [e.kind for e in case.events]
    assert "panel.seated" in kinds and "panel.short" not in kinds
    # Seating again changes nothing.
    assert _seated(panels.seat_panel(session, case, 3, policies, at(3, 11))) == _seated(seats)
    assert session.scalar(sa.select(sa.func.count()).select_from(PanelSeat)) == 3


def test_everyone_who_took_part_is_left_out(session, policies, make_case):
    assignee, decider, noter, writer, actor, free = panel_members(session, 6)
    case = make_case(status="resolved")
    case.assignee = assignee
    decision = Decision(grievance=case, level=1, decided_by_id=decider.id, decided_at=at(5, 10))
    decision.outcome, decision.rationale = "upheld", "Reasons."
    note = InternalNote(grievance=case, author=noter)
    note.body = "A note."
    message = Message(grievance=case, author=writer, from_member=False)
    message.body = "A reply."
    event = CaseEvent(grievance=case, kind="status", actor=actor, at=at(4, 10))
    session.add_all([decision, note, message, event])
    session.flush()
    assert panels.participants(session, case, 3) >= {
        assignee.id,
        decider.id,
        noter.id,
        writer.id,
        actor.id,
    }
    seats = panels.seat_panel(session, case, 3, policies, at(6, 10))
    assert _seated(seats) == {free.id}
    short = [e for e in case.events if e.kind == "panel.short"]
    assert len(short) == 1 and not short[0].public
    assert "1 of 3 members" in short[0].detail and "chair must complete it" in short[0].detail


def test_conflicted_people_and_other_roles_are_left_out(session, policies, make_case, member):
    named, recused, ok_1, ok_2 = panel_members(session, 4)
    make_user(session, Role.REVIEWER)  # not on the panel roster
    make_user(session, Role.PANEL, active=False)
    case = make_case(level=2)
    root = keys.current().index_root
    session.add(
        PartyIndex(grievance=case, kind="email", digest=blind_index(root, "email", named.email))
    )
    session.add(Recusal(grievance_id=case.id, user_id=recused.id))
    session.flush()
    seats = panels.seat_panel(session, case, 3, policies, at(3, 10))
    assert _seated(seats) == {ok_1.id, ok_2.id}


def test_the_member_is_never_seated_on_their_own_case(session, policies, make_case):
    filer = make_user(session, Role.MEMBER, Role.PANEL)
    others = panel_members(session, 3)
    case = make_case(owner=filer, level=3)
    seats = panels.seat_panel(session, case, 3, policies, at(3, 10))
    assert filer.id not in _seated(seats) and _seated(seats) == {p.id for p in others}


def test_the_least_busy_are_seated_first_and_a_short_panel_is_topped_up(
    session, policies, make_case
):
    busy, free_1, free_2, free_3 = panel_members(session, 4)
    other = make_case(level=3)
    session.add(PanelSeat(grievance_id=other.id, level=3, user_id=busy.id))
    session.flush()
    case = make_case(level=3)
    seats = panels.seat_panel(session, case, 3, policies, at(3, 10))
    assert _seated(seats) == {free_1.id, free_2.id, free_3.id}

    # One leaves the roster; seating again fills the empty seat with the one left.
    session.delete(next(s for s in seats if s.user_id == free_2.id))
    free_2.set_roles({Role.MEMBER})
    session.flush()
    again = panels.seat_panel(session, case, 3, policies, at(4, 10))
    assert _seated(again) == {free_1.id, free_3.id, busy.id}


def test_a_seat_on_a_closed_case_does_not_count_as_busy(session, policies, make_case):
    first, second, third, fourth = panel_members(session, 4)
    done = make_case(status="resolved", level=3)
    session.add(PanelSeat(grievance_id=done.id, level=3, user_id=first.id))
    session.flush()
    case = make_case(level=3)
    assert _seated(panels.seat_panel(session, case, 3, policies, at(3, 10))) == {
        first.id,
        second.id,
        third.id,
    }
    assert fourth.id
