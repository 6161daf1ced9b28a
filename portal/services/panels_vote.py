"""The grievance panel votes, and its quorum decides.

Members seated on a case's panel at the level the case is at (PanelSeat, seated by
services/panels.py) each cast one vote: an outcome the policy defines and their reasons.
They may change it until the panel has decided. When `ladder.panel.quorum` counted votes
agree, the decision is recorded as the panel's (Decision.by_panel), with the majority's
reasons as its rationale; the other votes stay on record as dissents. The case then moves
to resolved the way the workflow allows, step by step (casework.route), as a decision by
one person does (services/decisions.py).

A vote counts only while its member still sits on the case and is not conflicted on it:
someone removed from the panel roster, or who declared a conflict after voting, no longer
decides anything. How anyone voted is shown only once the panel has decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.db import utcnow
from portal.domain import sla, workflow
from portal.domain.errors import InvalidInput, NotFound, PermissionDenied
from portal.domain.workflow import Status
from portal.i18n import _l
from portal.models.grievances import Decision, Grievance, PanelSeat, PanelVote
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import (
    audit,
    casefile,
    casework,
    conflicts,
    kpi_marks,
    notify,
    surveys,
    timeline,
)
from portal.services.casefile import Standing
from portal.services.cases import resume_clock

MAX_OPINION = 10000
PANEL_ACTOR = "grievance_panel"


@dataclass(frozen=True)
class PanelView:
    """The panel of a case at its current level, as the committee's case page shows it."""

    level: int
    size: int  # as the policy sets it
    quorum: int
    members: list[User]  # seated and taking part, by name
    stepped_back: list[User]  # seated but conflicted (recused, named, or filed it)
    voted: set[int]  # ids of members whose vote counts (not how they voted)
    mine: PanelVote | None  # the viewer's own vote
    can_vote: bool
    decision: Decision | None
    # Every counted vote, only once decided; the dissents are those not matching the outcome.
    votes: list[PanelVote] = field(default_factory=list)

    @property
    def dissents(self) -> list[PanelVote]:
        if self.decision is None:
            return []
        return [v for v in self.votes if v.outcome != self.decision.outcome]


@dataclass(frozen=True)
class VoteResult:
    vote: PanelVote
    decision: Decision | None  # set when this vote completed the quorum


def is_panel_level(policies: PolicySet, level: int) -> bool:
    found = policies.ladder.levels.get(level)
    return found is not None and found.actor == PANEL_ACTOR


def _seats(session: Session, case: Grievance, level: int) -> list[PanelSeat]:
    return list(
        session.scalars(
            sa.select(PanelSeat)
            .where(PanelSeat.grievance_id == case.id, PanelSeat.level == level)
            .options(selectinload(PanelSeat.user))
        )
    )


def _votes(session: Session, case: Grievance, level: int) -> list[PanelVote]:
    return list(
        session.scalars(
            sa.select(PanelVote)
            .where(PanelVote.grievance_id == case.id, PanelVote.level == level)
            .options(selectinload(PanelVote.user))
            .order_by(PanelVote.at, PanelVote.id)
        )
    )


def _panel_decision(case: Grievance, level: int) -> Decision | None:
    return next((d for d in case.decisions if d.by_panel and d.level == level), None)


def _taking_part(session: Session, case: Grievance, seats: list[PanelSeat]) -> list[User]:
    users = [s.user for s in seats]
    out = conflicts.conflicted_ids(session, users, case)
    return [u for u in users if u.id not in out]


def counted_votes(session: Session, case: Grievance, level: int) -> list[PanelVote]:
    """The votes that count at `level`: of members still seated there and not conflicted."""
    taking_part = {u.id for u in _taking_part(session, case, _seats(session, case, level))}
    return [v for v in _votes(session, case, level) if v.user_id in taking_part]


def panel_view(session: Session, actor: User, case: Grievance, policies: PolicySet) -> PanelView:
    """What the case page shows of the panel; NotFound for anyone who may not open the case."""
    standing = casefile.reachable(session, actor, case)
    if standing is None:
        raise NotFound(casefile.NOT_FOUND)
    level = case.escalation_level
    decision = _panel_decision(case, level)
    # A panel is seated only at a panel level of the ladder: a case anywhere else (most of
    # them) has no seats or votes to ask for, unless a panel decided it there.
    asked = decision is not None or is_panel_level(policies, level)
    seats = _seats(session, case, level) if asked else []
    members = _taking_part(session, case, seats)
    ids = {u.id for u in members}
    counted = [v for v in _votes(session, case, level) if v.user_id in ids] if ids else []
    by_name = sorted(members, key=lambda u: (u.full_name.casefold(), u.id))
    rules = policies.ladder.panel
    return PanelView(
        level=level,
        size=rules.size,
        quorum=rules.quorum,
        members=by_name,
        stepped_back=[s.user for s in seats if s.user_id not in ids],
        voted={v.user_id for v in counted},
        mine=next((v for v in counted if v.user_id == actor.id), None),
        can_vote=(
            standing.on_panel
            and actor.id in ids
            and decision is None
            and case.is_open
            and is_panel_level(policies, level)
            and bool(casework.route(standing, case.status, Status.RESOLVED))
        ),
        decision=decision,
        votes=counted if decision is not None else [],
    )


def _check_can_vote(
    session: Session, actor: User, case: Grievance, policies: PolicySet
) -> tuple[Standing, list[Status]]:
    """Refuse a vote the panel may not take now; the voter's standing and the moves that
    would resolve the case (casework.route: straight there, or through "under review")."""
    standing = casefile.reachable(session, actor, case)
    if standing is None:
        raise NotFound(casefile.NOT_FOUND)
    if not standing.on_panel:
        raise PermissionDenied(_l("Only the members seated on this case's panel can vote on it."))
    label = workflow.info(case.status).label
    if not case.is_open:
        raise InvalidInput(
            _l("This grievance is “%(status)s”, so the panel can no longer vote.", status=label)
        )
    if not is_panel_level(policies, case.escalation_level):
        raise InvalidInput(_l("This case is not before the grievance panel at its current level."))
    if _panel_decision(case, case.escalation_level) is not None:
        raise InvalidInput(_l("The panel has already decided this case."))
    route = casework.route(standing, case.status, Status.RESOLVED)
    if not route:
        raise InvalidInput(
            _l("This grievance is “%(status)s”; the panel cannot decide it yet.", status=label)
        )
    return standing, route


def _check_vote(outcome: str, opinion: str, policies: PolicySet) -> str:
    problems: list[tuple[str | None, str]] = []
    if outcome not in policies.outcomes:
        problems.append(("outcome", _l("Choose one of the outcomes listed.")))
    text = opinion.strip()
    if not text:
        problems.append(("opinion", _l("Give the reasons for your vote.")))
    elif len(text) > MAX_OPINION:
        problems.append(
            ("opinion", _l("Please keep this under %(max)d characters.", max=MAX_OPINION))
        )
    if problems:
        raise InvalidInput.of(problems)
    return text


def cast_vote(
    session: Session,
    actor: User,
    case: Grievance,
    outcome: str,
    opinion: str,
    policies: PolicySet,
    now: datetime | None = None,
) -> VoteResult:
    """Record (or change) `actor`'s vote; when it completes the quorum, the panel decides."""
    now = now or utcnow()
    standing, route = _check_can_vote(session, actor, case, policies)
    text = _check_vote(outcome, opinion, policies)
    level = case.escalation_level
    vote = session.scalar(
        sa.select(PanelVote).where(
            PanelVote.grievance_id == case.id,
            PanelVote.level == level,
            PanelVote.user_id == actor.id,
        )
    )
    changed = vote is not None
    if vote is None:
        vote = PanelVote(grievance=case, level=level, user_id=actor.id)
        session.add(vote)
    vote.at, vote.outcome, vote.opinion = now, outcome, text
    audit.record(
        session,
        actor,
        "panel.voted",
        "grievance",
        case.id,
        {"level": level, "changed": changed},
        now=now,
    )
    counted = counted_votes(session, case, level)
    agreeing = [v for v in counted if v.outcome == outcome]
    if len(agreeing) < policies.ladder.panel.quorum:
        return VoteResult(vote, None)
    decision = _decide(
        session, actor, case, standing, outcome, agreeing, counted, route, policies, now
    )
    return VoteResult(vote, decision)


def _decide(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    outcome: str,
    agreeing: list[PanelVote],
    counted: list[PanelVote],
    route: list[Status],
    policies: PolicySet,
    now: datetime,
) -> Decision:
    """The panel's decision: recorded, the case resolved, the appeal window set (or none at
    the top of the ladder, where the panel's word is final)."""
    level = case.escalation_level
    decision = Decision(
        level=level, decided_by_id=actor.id, decided_at=now, by_panel=True, grievance=case
    )
    session.add(decision)
    decision.outcome = outcome
    decision.rationale = "\n\n".join(v.opinion or "" for v in agreeing)
    calendar = policies.calendar
    if case.status == Status.AWAITING_MEMBER:
        resume_clock(case, now, calendar)
    casework.walk(session, actor, case, standing, route, now)
    case.resolved_at = now
    if case.first_response_at is None:
        case.first_response_at = now  # the decision answers the member
    kpi_marks.settle(case, calendar)
    case.due_soon_marked_at = None
    if policies.ladder.next_level(level) is None:
        case.appeal_due_at = None
    else:
        window = calendar.duration(policies.ladder.appeal_window)
        case.appeal_due_at = sla.add_working_time(now, window, calendar)
    # As services/decisions.py tells the member of a decision, naming the panel as its maker
    # (web/casework_events.py words it), so the timeline does not credit the committee.
    timeline.add_event(case, "decided", actor, detail=f"Panel decision: {outcome}", now=now)
    notify.decision_made(session, case, now)
    surveys.schedule(session, case, policies, now)
    audit.record(
        session,
        actor,
        "case.decided",
        "grievance",
        case.id,
        {
            "level": level,
            "outcome": outcome,
            "final": case.appeal_due_at is None,
            "by_panel": True,
            "votes": len(counted),
            "agreeing": len(agreeing),
            "dissenting": len(counted) - len(agreeing),
        },
        now=now,
    )
    return decision


@dataclass(frozen=True)
class Tally:
    """How a panel decided, in numbers only (what the member is told)."""

    agreeing: int  # counted votes for the outcome decided
    seated: int  # members seated and taking part
    dissenting: int  # counted votes for another outcome


def tallies(session: Session, actor: User, case: Grievance) -> dict[object, Tally]:
    """The numbers of each panel decision on the case, by decision id: for its member, or
    anyone who may open it. NotFound for anyone else."""
    if not case.belongs_to(actor) and casefile.reachable(session, actor, case) is None:
        raise NotFound(casefile.NOT_FOUND)
    return {d.id: tally(session, case, d) for d in case.decisions if d.by_panel}


def tally(session: Session, case: Grievance, decision: Decision) -> Tally:
    seated = _taking_part(session, case, _seats(session, case, decision.level))
    ids = {u.id for u in seated}
    counted = [v for v in _votes(session, case, decision.level) if v.user_id in ids]
    agreeing = sum(1 for v in counted if v.outcome == decision.outcome)
    return Tally(agreeing, len(seated), len(counted) - agreeing)
