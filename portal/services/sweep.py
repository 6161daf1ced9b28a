"""The SLA sweep (`flask sla sweep`): run every minute from cron, it keeps the ladder's promise.

For every open case whose clock runs (not waiting on the member):

1. a first response still owed past its date is recorded as missed
   (`first_response_breached_at`), and the case climbs the ladder;
2. a decision date passed is recorded (`resolution_breached_at`), and the case climbs;
3. the promise due next, once it is due soon (sla.sla_state), is marked once
   (`due_soon_marked_at`, an internal timeline event for the committee).

Climbing means the first level above the current one whose `entered_by` lists
"sla_breach" (services/escalation.py); at the top the breach is recorded and the member
told, and nothing moves. What was done is recorded on the case, so a second run straight
after the first finds nothing to do.

Cases are found in SQL on metadata only, through the indexes made for this, in batches by
id; a case's content is never decrypted (only the few that climb get an event, sealed with
their own key). On PostgreSQL rows another transaction holds are skipped until the next run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from portal.domain import sla, workflow
from portal.models.grievances import Grievance
from portal.policies.types import PolicySet
from portal.services import audit, clock, escalation, notify, timeline

BATCH = 200
# A candidate is a case whose due date is within this much working time more than the
# share of its target that makes it due soon; the exact check is sla.sla_state's.
MARGIN = timedelta(minutes=1)

DUE_SOON = {
    clock.Target.FIRST_RESPONSE: "due_soon.first_response",
    clock.Target.RESOLUTION: "due_soon.resolution",
}


@dataclass
class SweepSummary:
    checked: int = 0
    due_soon: int = 0
    breached: int = 0
    escalated: Counter[int] = field(default_factory=Counter)  # level reached -> cases

    def line(self) -> str:
        moved = sum(self.escalated.values())
        text = (
            f"sla sweep: {self.checked} open cases checked, {self.due_soon} marked due soon, "
            f"{self.breached} breached, {moved} escalated"
        )
        if moved:
            parts = ", ".join(f"{n} to level {lv}" for lv, n in sorted(self.escalated.items()))
            text += f" ({parts})"
        return text


def _running() -> ColumnElement[bool]:
    """Open cases whose clock runs, by the workflow's table (no status named here)."""
    statuses = [s.value for s, i in workflow.INFO.items() if i.open and not i.clock_paused]
    return sa.and_(Grievance.is_open.is_(True), Grievance.status.in_(statuses))


def _batches(session: Session, where: ColumnElement[bool]) -> Iterator[list[Grievance]]:
    """The matching cases, BATCH at a time in id order (a case may stop matching once done)."""
    last = None
    while True:
        stmt = sa.select(Grievance).where(where)
        if last is not None:
            stmt = stmt.where(Grievance.id > last)
        stmt = stmt.order_by(Grievance.id).limit(BATCH).with_for_update(skip_locked=True)
        rows = list(session.scalars(stmt))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _horizon(
    policies: PolicySet, now: datetime, due: sa.Column[datetime], targets: dict[str, timedelta]
) -> ColumnElement[bool]:
    """Due dates close enough to `now` that the case may be due soon: per priority, within
    the share of that priority's target left when it becomes due soon (plus MARGIN)."""
    calendar = policies.calendar
    share = 1 - clock.DUE_SOON_AT

    def bound(target: timedelta) -> datetime:
        return sla.add_working_time(now, target * share + MARGIN, calendar)

    widest = bound(max(targets.values()))
    per_priority = [
        sa.and_(Grievance.priority == name, due <= bound(target))
        for name, target in targets.items()
    ]
    unknown = Grievance.priority.not_in(list(targets))  # a priority since removed
    return sa.and_(due >= now, due <= widest, sa.or_(*per_priority, unknown))


def _resolution_targets(policies: PolicySet) -> dict[str, timedelta]:
    """The longest decision target per priority (with every extension the ladder allows)."""
    calendar, ladder = policies.calendar, policies.ladder
    extra = calendar.duration(ladder.extension_limit) if ladder.extension_limit else timedelta(0)
    extra *= ladder.max_extensions
    return {n: calendar.duration(p.resolution) + extra for n, p in policies.priorities.items()}


def _first_targets(policies: PolicySet) -> dict[str, timedelta]:
    calendar = policies.calendar
    return {n: calendar.duration(p.first_response) for n, p in policies.priorities.items()}


def _breach(
    session: Session,
    case: Grievance,
    target: clock.Target,
    policies: PolicySet,
    now: datetime,
    summary: SweepSummary,
) -> None:
    if target == clock.Target.FIRST_RESPONSE:
        case.first_response_breached_at = now
    else:
        case.resolution_breached_at = now
    summary.breached += 1
    level = escalation.next_level_for(policies.ladder, case.escalation_level, escalation.SLA_BREACH)
    if level is not None:
        escalation.climb(session, case, level, target, policies, now)
        notify.breached(session, case, target.value, now)
        summary.escalated[level.number] += 1
        return
    notify.breached(session, case, target.value, now)
    timeline.add_event(
        case,
        escalation.BREACHED[target],
        None,
        detail=f"{escalation.WHY[target].capitalize()}; the case is at the top of the ladder",
        now=now,
    )
    audit.record(
        session,
        None,
        "case.sla_breached",
        "grievance",
        case.id,
        {"target": target.value, "level": case.escalation_level},
        now=now,
    )


def _mark_due_soon(
    session: Session, case: Grievance, policies: PolicySet, now: datetime, summary: SweepSummary
) -> None:
    found = clock.pending(case, now, policies.calendar)
    if found is None or found.state != sla.SlaState.DUE_SOON:
        return
    case.due_soon_marked_at = now
    summary.due_soon += 1
    timeline.add_event(case, DUE_SOON[found.target], None, public=False, now=now)
    notify.due_soon(session, case, found.target.value, found.due_at, now)
    audit.record(
        session,
        None,
        "case.due_soon",
        "grievance",
        case.id,
        {"target": found.target.value, "due": found.due_at.isoformat()},
        now=now,
    )


def sweep(session: Session, policies: PolicySet, now: datetime) -> SweepSummary:
    """One pass over the open cases at `now`; flushes, the caller commits."""
    summary = SweepSummary()
    running = _running()
    summary.checked = session.scalar(sa.select(sa.func.count()).where(running)) or 0
    owes_first = sa.and_(running, Grievance.first_response_at.is_(None))
    passes: list[tuple[ColumnElement[bool], Callable[[Grievance], None]]] = [
        (
            sa.and_(
                owes_first,
                Grievance.first_response_due_at < now,
                Grievance.first_response_breached_at.is_(None),
            ),
            lambda c: _breach(session, c, clock.Target.FIRST_RESPONSE, policies, now, summary),
        ),
        (
            sa.and_(
                running,
                Grievance.resolution_breached_at.is_(None),
                Grievance.resolution_due_at < now,
            ),
            lambda c: _breach(session, c, clock.Target.RESOLUTION, policies, now, summary),
        ),
        (
            sa.and_(
                owes_first,
                Grievance.due_soon_marked_at.is_(None),
                _horizon(policies, now, Grievance.first_response_due_at, _first_targets(policies)),
            ),
            lambda c: _mark_due_soon(session, c, policies, now, summary),
        ),
        (
            sa.and_(
                running,
                Grievance.first_response_at.is_not(None),
                Grievance.resolution_breached_at.is_(None),
                sa.or_(
                    Grievance.due_soon_marked_at.is_(None),
                    Grievance.due_soon_marked_at < Grievance.first_response_at,
                ),
                _horizon(policies, now, Grievance.resolution_due_at, _resolution_targets(policies)),
            ),
            lambda c: _mark_due_soon(session, c, policies, now, summary),
        ),
    ]
    for where, act in passes:
        for batch in _batches(session, where):
            for case in batch:
                act(case)
            session.flush()
    return summary
