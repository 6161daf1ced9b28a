"""Deciding a case: outcome, rationale, remedy and the procedure clauses relied on.

Who decides is the ladder's actor at the case's current level: at a reviewer level the
assigned reviewer or a chair of the committee; at the chair's level a chair; at the grievance
panel's level nobody here (the panel votes; see the panel's own service). A decision resolves
the case through the workflow, tells the member on the timeline and, unless the case is at
the top of the ladder, opens the appeal window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain import sla, workflow
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.workflow import Status
from portal.i18n import _l
from portal.models.grievances import Decision, Grievance
from portal.models.users import User
from portal.policies.types import Clause, Level, Outcome, PolicySet
from portal.services import audit, casework, kpi_marks, notify, surveys, timeline
from portal.services.casefile import Standing, load_people
from portal.services.cases import resume_clock

MAX_RATIONALE = 20000
MAX_REMEDY = 10000


@dataclass(frozen=True)
class Decider:
    """Whether this person may decide the case now, and if not, why (for the page)."""

    may: bool
    actor: str | None  # the level's actor: reviewer, committee_chair, grievance_panel
    why_not: str | None = None
    # The case cannot be decided by anyone now (closed, or no way to "decided"), rather
    # than by this person.
    not_now: bool = False


def who_decides(actor: User, case: Grievance, standing: Standing, policies: PolicySet) -> Decider:
    level = policies.ladder.levels.get(case.escalation_level)
    if level is None:
        return Decider(
            False, None, _l("This level is not in the procedure any more."), not_now=True
        )
    if not case.is_open or not casework.route(standing, case.status, Status.RESOLVED):
        return Decider(
            False,
            level.actor,
            _l(
                "This grievance is “%(status)s”, so it cannot be decided now.",
                status=workflow.info(case.status).label,
            ),
            not_now=True,
        )
    if level.actor == "grievance_panel":
        return Decider(
            False,
            level.actor,
            _l("At this level the grievance panel decides, by the votes of its members."),
        )
    if level.actor == "committee_chair":
        if standing.is_chair:
            return Decider(True, level.actor)
        return Decider(False, level.actor, _l("At this level the committee's chair decides."))
    if standing.is_chair or (case.assignee_id is not None and case.assignee_id == actor.id):
        return Decider(True, level.actor)
    return Decider(
        False, level.actor, _l("At this level the assigned reviewer or the chair decides.")
    )


def appeal_due(case: Grievance, policies: PolicySet, now: datetime) -> datetime | None:
    """Until when the member may appeal a decision made now; None at the top of the ladder."""
    if policies.ladder.next_level(case.escalation_level) is None:
        return None
    calendar = policies.calendar
    window = calendar.duration(policies.ladder.appeal_window)
    return sla.add_working_time(now, window, calendar)


def _checked(
    outcome: str, rationale: str, remedy: str, clauses: list[str], policies: PolicySet
) -> tuple[str, str, str | None, list[str]]:
    problems: list[tuple[str | None, str]] = []
    if outcome not in policies.outcomes:
        problems.append(("outcome", _l("Choose one of the outcomes shown.")))
    rationale, remedy = rationale.strip(), remedy.strip()
    if not rationale:
        problems.append(
            ("rationale", _l("Give the reasons for the decision; the member reads them."))
        )
    elif len(rationale) > MAX_RATIONALE:
        problems.append(
            ("rationale", _l("Please keep this under %(max)d characters.", max=MAX_RATIONALE))
        )
    if len(remedy) > MAX_REMEDY:
        problems.append(
            ("remedy", _l("Please keep this under %(max)d characters.", max=MAX_REMEDY))
        )
    chosen = list(dict.fromkeys(clauses))
    if not chosen:
        problems.append(("clauses", _l("Tick at least one clause of the procedure relied on.")))
    elif any(c not in policies.clauses for c in chosen):
        problems.append(("clauses", _l("Choose among the clauses shown.")))
    if problems:
        raise InvalidInput.of(problems)
    return outcome, rationale, remedy or None, [c for c in policies.clauses if c in chosen]


def record_decision(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    *,
    outcome: str,
    rationale: str,
    remedy: str,
    clauses: list[str],
    policies: PolicySet,
    now: datetime | None = None,
) -> Decision:
    """Decide the case at its current level and resolve it."""
    decider = who_decides(actor, case, standing, policies)
    if not decider.may:
        raise (InvalidInput if decider.not_now else PermissionDenied)(decider.why_not or "")
    outcome, rationale, remedy_text, chosen = _checked(
        outcome, rationale, remedy, clauses, policies
    )
    now = now or utcnow()
    if case.status == Status.AWAITING_MEMBER:
        resume_clock(case, now, policies.calendar)
    steps = casework.route(standing, case.status, Status.RESOLVED)
    casework.walk(session, actor, case, standing, steps, now)
    decision = Decision(level=case.escalation_level, decided_by=actor, decided_at=now)
    case.decisions.append(decision)
    decision.outcome = outcome
    decision.rationale = rationale
    decision.remedy = remedy_text
    decision.clauses = ",".join(chosen)
    case.resolved_at = now
    if case.first_response_at is None:
        case.first_response_at = now  # the decision answers the member
    kpi_marks.settle(case, policies.calendar)
    case.due_soon_marked_at = None
    case.appeal_due_at = appeal_due(case, policies, now)
    timeline.add_event(case, "decided", actor, detail=f"Decision: {outcome}", now=now)
    notify.decision_made(session, case, now)
    surveys.schedule(session, case, policies, now)
    audit.record(
        session,
        actor,
        "case.decided",
        "grievance",
        case.id,
        {
            "level": case.escalation_level,
            "outcome": outcome,
            "clauses": chosen,
            "final": case.appeal_due_at is None,
        },
        now=now,
    )
    return decision


@dataclass(frozen=True)
class Shown:
    """A decision as a page shows it, with the policy's words for its outcome and clauses."""

    decision: Decision
    outcome: Outcome | None
    clauses: list[Clause]
    slugs: list[str]


def shown(decision: Decision, policies: PolicySet) -> Shown:
    slugs = [c for c in (decision.clauses or "").split(",") if c]
    return Shown(
        decision,
        policies.outcomes.get(decision.outcome),
        [policies.clauses[c] for c in slugs if c in policies.clauses],
        slugs,
    )


def shown_all(session: Session, case: Grievance, policies: PolicySet) -> list[Shown]:
    """The case's decisions, newest first, with who decided loaded in one query (none when
    the case page has loaded them already)."""
    load_people(session, {d.decided_by_id for d in case.decisions})
    return [shown(d, policies) for d in reversed(case.decisions)]


@dataclass(frozen=True)
class Appeal:
    """What the member may still do about the latest decision."""

    state: str  # "open" (until `due`), "ended" (on `due`) or "final" (top of the ladder)
    due: datetime | None
    heard_by: Level | None  # the level an appeal goes to


def appeal_state(case: Grievance, policies: PolicySet, now: datetime) -> Appeal | None:
    """None unless the case stands decided."""
    if case.status != Status.RESOLVED or not case.decisions:
        return None
    if case.appeal_due_at is None:
        return Appeal("final", None, None)
    heard_by = next(
        (
            lv
            for lv in policies.ladder.ordered
            if lv.number > case.escalation_level and "member_appeal" in lv.entered_by
        ),
        policies.ladder.next_level(case.escalation_level),
    )
    state = "open" if now < case.appeal_due_at else "ended"
    return Appeal(state, case.appeal_due_at, heard_by)


def for_member(case: Grievance, policies: PolicySet) -> list[Shown]:
    """The decisions as the member reads them, newest first (who decided is not shown)."""
    return [shown(d, policies) for d in reversed(case.decisions)]
