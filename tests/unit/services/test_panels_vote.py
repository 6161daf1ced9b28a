"""The grievance panel's vote: who may vote, when the quorum decides, and what is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.domain import sla
from portal.domain.errors import InvalidInput, NotFound, PermissionDenied
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.models.grievances import Decision, PanelSeat, PanelVote, Recusal
from portal.services import intake, panels_vote
from tests.factories import make_committee, make_user, seat

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def policies(app):  # type: ignore[no-untyped-def]
    return app.extensions["portal.policies"]


@pytest.fixture
def world(app, session, policies):  # type: ignore[no-untyped-def]
    """An appealed case at level 3 (the panel's), three panel members seated on it, and a
    reviewer of the case's committee who is not on its panel."""
    committee = make_committee(session, "member-services", "Member Services")
    filer = make_user(session, email="filer@example.org", name="Fiona Filer")
    case = intake.file_grievance(
        session,
        filer,
        filer,
        intake.Filing(category="billing", subject="Dues", narrative="Charged twice."),
        policies,
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
    )
    case.status, case.is_open, case.escalation_level = "appealed", True, 3
    panel = [
        make_user(session, Role.MEMBER, Role.PANEL, email=f"{n}@example.org", name=n.title())
        for n in ("ana", "bo", "cy")
    ]
    for member in panel:
        session.add(PanelSeat(grievance_id=case.id, level=3, user_id=member.id))
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org")
    seat(session, committee, reviewer, Seat.REVIEWER)
    session.flush()
    return case, panel, reviewer


def _actions(session, case) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_id == str(case.id))
            .order_by(AuditEntry.id)
        )
    )


def test_a_quorum_of_matching_votes_decides_and_the_dissent_is_kept(session, world, policies):
    case, (ana, bo, cy), _reviewer = world
    first = panels_vote.cast_vote(
        session, ana, case, "not-upheld", "No failing found.", policies, now=NOW
    )
    assert first.decision is None
    second = panels_vote.cast_vote(
        session, bo, case, "upheld", "The charge was a mistake.", policies, now=NOW
    )
    assert second.decision is None and case.status == "appealed"
    before = panels_vote.panel_view(session, ana, case, policies)
    assert before.voted == {ana.id, bo.id} and before.votes == []  # who, not how
    assert before.mine is not None and before.mine.outcome == "not-upheld"  # one's own vote

    later = NOW + timedelta(hours=1)
    third = panels_vote.cast_vote(
        session, cy, case, "upheld", "Refund the second charge.", policies, now=later
    )
    decision = third.decision
    assert decision is not None
    assert (decision.by_panel, decision.level, decision.outcome) == (True, 3, "upheld")
    assert decision.decided_by_id == cy.id  # the vote that completed the quorum
    assert decision.rationale == "The charge was a mistake.\n\nRefund the second charge."
    assert case.status == "resolved" and not case.is_open and case.resolved_at == later
    assert case.appeal_due_at is None  # the top of the ladder: the panel's word is final
    moves = [(e.from_status, e.to_status) for e in case.events if e.kind == "status"]
    assert moves[-2:] == [("appealed", "under_review"), ("under_review", "resolved")]
    assert _actions(session, case)[-6:] == [
        "panel.voted",
        "panel.voted",
        "panel.voted",
        "case.status",
        "case.status",
        "case.decided",
    ]
    decided = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "case.decided").limit(1)
    )
    assert '"dissenting":1' in decided.detail and '"outcome":"upheld"' in decided.detail
    # The member's timeline says a decision was made, as for any decision.
    assert case.events[-1].kind == "decided" and case.events[-1].public

    after = panels_vote.panel_view(session, ana, case, policies)
    assert after.decision is decision and not after.can_vote
    assert [(v.user_id, v.outcome) for v in after.dissents] == [(ana.id, "not-upheld")]
    assert {v.user_id for v in after.votes} == {ana.id, bo.id, cy.id}
    with pytest.raises(InvalidInput, match="can no longer vote"):
        panels_vote.cast_vote(session, ana, case, "upheld", "Changed my mind.", policies)


def test_a_member_may_change_their_vote_until_the_decision(session, world, policies):
    case, (ana, bo, _cy), _reviewer = world
    panels_vote.cast_vote(session, ana, case, "upheld", "At first.", policies, now=NOW)
    panels_vote.cast_vote(session, ana, case, "not-upheld", "On reflection.", policies, now=NOW)
    votes = session.scalars(sa.select(PanelVote)).all()
    assert [(v.user_id, v.outcome, v.opinion) for v in votes] == [
        (ana.id, "not-upheld", "On reflection.")
    ]
    changed = session.scalars(
        sa.select(AuditEntry.detail).where(AuditEntry.action == "panel.voted")
    ).all()
    assert ['"changed":false' in d for d in changed] == [True, False]
    # Bo agreeing with Ana's first vote decides nothing: that vote is gone.
    assert (
        panels_vote.cast_vote(session, bo, case, "upheld", "Yes.", policies, now=NOW).decision
        is None
    )


def test_who_may_not_vote(session, world, policies):
    case, (ana, bo, _cy), reviewer = world
    with pytest.raises(PermissionDenied):  # on the committee, not on the panel
        panels_vote.cast_vote(session, reviewer, case, "upheld", "x", policies)
    outsider = make_user(session, Role.PANEL, email="out@example.org")
    with pytest.raises(NotFound):  # on the roster, not seated on this case
        panels_vote.cast_vote(session, outsider, case, "upheld", "x", policies)
    session.add(Recusal(grievance_id=case.id, user_id=bo.id))
    session.flush()
    with pytest.raises(NotFound):  # stepped back from the case
        panels_vote.cast_vote(session, bo, case, "upheld", "x", policies)
    view = panels_vote.panel_view(session, ana, case, policies)
    assert [u.id for u in view.stepped_back] == [bo.id] and bo not in view.members
    admin = make_user(session, Role.ADMIN, email="adm@example.org")
    session.add(PanelSeat(grievance_id=case.id, level=3, user_id=admin.id))
    session.flush()
    with pytest.raises(NotFound):  # a seat written around the rules gives no vote
        panels_vote.cast_vote(session, admin, case, "upheld", "x", policies)
    assert session.scalars(sa.select(PanelVote)).all() == []


def test_a_vote_needs_an_outcome_from_the_policy_and_reasons(session, world, policies):
    case, (ana, _bo, _cy), _reviewer = world
    with pytest.raises(InvalidInput) as refused:
        panels_vote.cast_vote(session, ana, case, "guilty", "  ", policies)
    assert [f for f, _m in refused.value.problems] == ["outcome", "opinion"]
    with pytest.raises(InvalidInput, match="under 10000 characters"):
        panels_vote.cast_vote(session, ana, case, "upheld", "x" * 10001, policies)


def test_no_vote_away_from_the_panel_level_or_before_the_case_can_be_decided(
    session, world, policies
):
    case, (ana, _bo, _cy), _reviewer = world
    case.escalation_level = 2
    session.add(PanelSeat(grievance_id=case.id, level=2, user_id=ana.id))
    session.flush()
    with pytest.raises(InvalidInput, match="not before the grievance panel"):
        panels_vote.cast_vote(session, ana, case, "upheld", "x", policies)
    case.escalation_level, case.status = 3, "submitted"
    with pytest.raises(InvalidInput, match="cannot decide it yet"):
        panels_vote.cast_vote(session, ana, case, "upheld", "x", policies)
    assert not panels_vote.panel_view(session, ana, case, policies).can_vote


def test_a_vote_counts_only_while_its_member_sits_on_the_case(session, world, policies):
    case, (ana, bo, _cy), _reviewer = world
    panels_vote.cast_vote(session, ana, case, "upheld", "Yes.", policies, now=NOW)
    session.execute(sa.delete(PanelSeat).where(PanelSeat.user_id == ana.id))
    result = panels_vote.cast_vote(session, bo, case, "upheld", "Yes too.", policies, now=NOW)
    assert result.decision is None and case.is_open


def test_a_paused_case_resumes_its_clock_when_the_panel_decides(session, world, policies):
    case, (ana, bo, _cy), _reviewer = world
    case.status, case.paused_at = "awaiting_member", NOW - timedelta(days=1)
    due = case.resolution_due_at
    panels_vote.cast_vote(session, ana, case, "upheld", "Yes.", policies, now=NOW)
    panels_vote.cast_vote(session, bo, case, "upheld", "Agreed.", policies, now=NOW)
    assert case.status == "resolved" and case.paused_at is None
    assert case.resolution_due_at >= due
    moves = [(e.from_status, e.to_status) for e in case.events if e.kind == "status"]
    assert moves[-2:] == [("awaiting_member", "under_review"), ("under_review", "resolved")]


def test_below_the_top_of_the_ladder_the_panel_decision_can_be_appealed(session, world, policies):
    """A ladder whose panel sits at level 2: its decision opens the appeal window."""
    case, (ana, bo, _cy), _reviewer = world
    levels = dict(policies.ladder.levels)
    levels[2], levels[3] = (
        levels[3].model_copy(update={"number": 2}),
        levels[2].model_copy(update={"number": 3}),
    )
    ladder = policies.ladder.model_copy(update={"levels": levels})
    lower = policies.model_copy(update={"ladder": ladder})
    case.escalation_level = 2
    for member in (ana, bo):
        session.add(PanelSeat(grievance_id=case.id, level=2, user_id=member.id))
    session.flush()
    panels_vote.cast_vote(session, ana, case, "partly-upheld", "Partly.", lower, now=NOW)
    decision = panels_vote.cast_vote(
        session, bo, case, "partly-upheld", "In part.", lower, now=NOW
    ).decision
    assert decision is not None and decision.level == 2
    calendar = policies.calendar
    expected = sla.add_working_time(NOW, calendar.duration(policies.ladder.appeal_window), calendar)
    assert case.appeal_due_at == expected
    assert session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 1
