"""The SLA sweep: due soon marked once, missed dates recorded and climbed per `entered_by`,
paused cases left alone, the top of the ladder respected, and a second run doing nothing."""

from __future__ import annotations

import sqlalchemy as sa

from portal.models.audit import AuditEntry
from portal.models.grievances import CaseEvent, PanelSeat
from portal.services import sweep
from tests.unit.services.conftest import DECISION_DUE, FIRST_DUE, at, panel_members

NOTHING = (0, 0, 0, 0)


def _did(summary: sweep.SweepSummary) -> tuple[int, int, int, int]:
    return (summary.due_soon, summary.breached, sum(summary.escalated.values()), 0)


def _events(session, case, kind_prefix=""):  # type: ignore[no-untyped-def]
    session.expire(case, ["events"])
    return [e for e in case.events if e.kind.startswith(kind_prefix)]


def _audits(session, action):  # type: ignore[no-untyped-def]
    return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_a_first_response_nearly_due_is_marked_due_soon_once(session, policies, make_case):
    case = make_case()
    early = sweep.sweep(session, policies, at(2, 13))  # 4 of 8 working hours used
    assert _did(early) == NOTHING and case.due_soon_marked_at is None

    summary = sweep.sweep(session, policies, at(2, 15, 30))  # 6.5 of 8 hours: due soon
    assert summary.checked == 1 and summary.due_soon == 1
    assert case.due_soon_marked_at == at(2, 15, 30)
    [event] = _events(session, case, "due_soon")
    assert event.kind == "due_soon.first_response" and not event.public
    assert case.escalation_level == 1

    again = sweep.sweep(session, policies, at(2, 15, 31))
    assert _did(again) == NOTHING and len(_events(session, case, "due_soon")) == 1


def test_the_decision_date_gets_its_own_due_soon_mark_after_the_first_response(
    session, policies, make_case
):
    case = make_case()
    sweep.sweep(session, policies, at(2, 15, 30))  # first response due soon
    case.first_response_at = at(2, 16)
    # 15 working days = 120 hours; due soon from 90 hours in: Tuesday 17 March, 11:00.
    assert sweep.sweep(session, policies, at(17, 10)).due_soon == 0
    summary = sweep.sweep(session, policies, at(17, 11, 30))
    assert summary.due_soon == 1 and summary.breached == 0
    assert [e.kind for e in _events(session, case, "due_soon")] == [
        "due_soon.first_response",
        "due_soon.resolution",
    ]
    assert _did(sweep.sweep(session, policies, at(17, 12))) == NOTHING


def test_a_missed_first_response_is_recorded_and_climbs_to_level_2(session, policies, make_case):
    case = make_case()
    summary = sweep.sweep(session, policies, at(3, 9, 30))
    assert (summary.breached, dict(summary.escalated)) == (1, {2: 1})
    assert summary.line() == (
        "sla sweep: 1 open cases checked, 0 marked due soon, 1 breached, 1 escalated (1 to level 2)"
    )
    assert case.first_response_breached_at == at(3, 9, 30) and case.escalation_level == 2
    [event] = _events(session, case, "escalated")
    assert event.public and event.kind == "escalated.first_response"
    assert event.detail == (
        "Moved to level 2 (The committee chair takes over): "
        "the first response was not given by the promised date"
    )
    [entry] = _audits(session, "case.escalated")
    assert entry.actor_id is None and '"trigger":"sla_breach"' in entry.detail
    assert case.resolution_breached_at is None  # the decision date is still ahead

    again = sweep.sweep(session, policies, at(3, 9, 31))
    assert _did(again) == NOTHING and case.escalation_level == 2
    assert len(_audits(session, "case.escalated")) == 1


def test_a_missed_decision_date_is_recorded_and_climbs(session, policies, make_case):
    case = make_case(first_response_at=at(2, 11))
    summary = sweep.sweep(session, policies, at(23, 9, 5))
    assert (summary.breached, dict(summary.escalated)) == (1, {2: 1})
    assert case.resolution_breached_at == at(23, 9, 5) and case.first_response_breached_at is None
    [event] = _events(session, case, "escalated")
    assert event.kind == "escalated.resolution"
    assert "the decision was not made by the promised date" in event.detail
    assert _did(sweep.sweep(session, policies, at(23, 9, 6))) == NOTHING


def test_both_dates_missed_climb_one_level_each_and_seat_the_panel(session, policies, make_case):
    panel_members(session, 3)
    case = make_case()
    summary = sweep.sweep(session, policies, at(23, 10))
    assert (summary.breached, dict(summary.escalated)) == (2, {2: 1, 3: 1})
    assert case.escalation_level == 3
    seats = session.scalars(sa.select(PanelSeat).where(PanelSeat.grievance_id == case.id)).all()
    assert len(seats) == 3 and {s.level for s in seats} == {3}
    assert _did(sweep.sweep(session, policies, at(23, 11))) == NOTHING


def test_the_ladder_follows_entered_by_not_the_next_number(session, policies, make_case):
    ladder = policies.ladder
    level_2 = ladder.levels[2].model_copy(
        update={"entered_by": ("high_risk_keyword", "member_request_after_breach")}
    )
    variant = policies.model_copy(
        update={"ladder": ladder.model_copy(update={"levels": {**ladder.levels, 2: level_2}})}
    )
    panel_members(session, 3)
    case = make_case()
    summary = sweep.sweep(session, variant, at(3, 10))
    assert dict(summary.escalated) == {3: 1} and case.escalation_level == 3


def test_the_seoul_ladder_moves_the_same_way(session, make_case):
    from portal.config import ROOT
    from portal.policies import load_policies

    seoul = load_policies(ROOT / "policies" / "examples" / "seoul")
    case = make_case()
    case.priority = next(iter(seoul.priorities))
    summary = sweep.sweep(session, seoul, at(20, 10))
    assert summary.breached >= 1 and case.escalation_level >= 2
    [event, *_] = _events(session, case, "escalated")
    assert "Moved to level 2" in event.detail  # the record stays English in a Korean set


def test_a_case_waiting_on_the_member_is_not_breached(session, policies, make_case):
    case = make_case(status="awaiting_member", first_response_at=at(2, 10))
    case.paused_at = at(2, 10)
    summary = sweep.sweep(session, policies, at(25, 10))
    assert summary.checked == 0 and _did(summary) == NOTHING
    assert case.resolution_breached_at is None and case.escalation_level == 1


def test_closed_cases_are_left_alone(session, policies, make_case):
    make_case(status="resolved", first_response_at=at(2, 10))
    make_case(status="withdrawn")
    summary = sweep.sweep(session, policies, at(25, 10))
    assert summary.checked == 0 and _did(summary) == NOTHING


def test_at_the_top_of_the_ladder_a_breach_is_recorded_and_nothing_moves(
    session, policies, make_case
):
    case = make_case(level=3, first_response_at=at(2, 10))
    summary = sweep.sweep(session, policies, at(23, 10))
    assert (summary.breached, sum(summary.escalated.values())) == (1, 0)
    assert case.escalation_level == 3 and case.resolution_breached_at == at(23, 10)
    [event] = _events(session, case, "breached")
    assert event.public and event.kind == "breached.resolution"
    assert summary.line().endswith("1 breached, 0 escalated")
    assert _did(sweep.sweep(session, policies, at(23, 11))) == NOTHING


def test_an_extended_date_is_what_the_sweep_counts_from(session, policies, make_case):
    case = make_case(first_response_at=at(2, 10))
    case.resolution_due_at = at(27, 17)  # as an extension by a chair leaves it
    case.extension_count = 1
    assert sweep.sweep(session, policies, at(23, 10)).breached == 0
    assert sweep.sweep(session, policies, at(30, 9, 1)).breached == 1


def test_the_sweep_reads_no_content(session, policies, make_case, monkeypatch):
    """Finding and marking cases needs no case key; only a climb seals its public event."""
    case = make_case()
    session.flush()
    session.expunge_all()
    from portal.models.grievances import Grievance

    unwrapped = []
    original = Grievance.case_key
    monkeypatch.setattr(
        Grievance, "case_key", lambda self: unwrapped.append(self.id) or original(self)
    )
    sweep.sweep(session, policies, at(2, 15, 30))  # due soon: an internal event, no detail
    assert unwrapped == []
    sweep.sweep(session, policies, at(3, 10))  # the climb writes the member's event
    assert unwrapped and set(unwrapped) == {case.id}


def test_candidates_are_found_through_the_sweep_indexes(session, policies):
    if session.get_bind().dialect.name != "sqlite":
        return
    from portal.models.grievances import Grievance

    running = sweep._running()
    now = at(3, 10)
    for where, index in (
        (
            sa.and_(
                running,
                Grievance.first_response_at.is_(None),
                Grievance.first_response_due_at < now,
            ),
            "ix_grievances_sweep_first_response",
        ),
        (
            sa.and_(
                running,
                Grievance.resolution_breached_at.is_(None),
                Grievance.resolution_due_at < now,
            ),
            "ix_grievances_sweep_resolution",
        ),
    ):
        stmt = sa.select(Grievance.id).where(where)
        compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        assert any(index in row[-1] for row in plan), plan


def test_events_of_due_soon_have_no_detail_and_the_count_is_of_running_cases(
    session, policies, make_case
):
    make_case()
    make_case(status="awaiting_member", first_response_at=at(2, 10))
    summary = sweep.sweep(session, policies, at(2, 15, 30))
    assert summary.checked == 1 and summary.due_soon == 1
    event = session.scalar(sa.select(CaseEvent).where(CaseEvent.kind.like("due_soon%")))
    assert event.detail is None
    assert FIRST_DUE < DECISION_DUE


def test_flask_sla_sweep_prints_what_it_did_and_a_second_run_does_nothing(
    session, make_case, runner
):
    make_case()
    make_case(first_response_at=at(2, 10))
    session.commit()
    first = runner.invoke(args=["sla", "sweep", "--at", "2026-03-03T10:00:00+0000"])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "sla sweep: 2 open cases checked, 0 marked due soon, 1 breached, 1 escalated (1 to level 2)",
        "survey sweep: 0 surveys sent, 0 reminders",
    ]
    second = runner.invoke(args=["sla", "sweep", "--at", "2026-03-03T10:00:00+0000"])
    assert second.output.splitlines()[0] == (
        "sla sweep: 2 open cases checked, 0 marked due soon, 0 breached, 0 escalated"
    )
