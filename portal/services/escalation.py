"""The escalation ladder in motion: a case climbs it when a promised date is missed, when the
member asks after a missed date, and when the member appeals a decision.

Which level a trigger leads to is the policy's word (escalation.toml, `entered_by`): the
first level above the case's current one whose `entered_by` lists the trigger. At the top
(no such level) nothing moves. Each move is one public timeline event saying why, in plain
words the member reads, and one audit entry; a `grievance_panel` level gets its panel
seated (services/panels.py). The SLA sweep (services/sweep.py) and the chair's extensions
(services/extensions.py) build on this module.

Timeline events keep an English record in their detail; their kind tells the member's page
what to say in the reader's language (web/filters.py event_text).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain import sla, workflow
from portal.domain.errors import InvalidInput
from portal.domain.workflow import Mover, Status
from portal.i18n import _l
from portal.models.grievances import Grievance
from portal.models.users import User
from portal.policies.types import Ladder, Level, PolicySet
from portal.services import audit, cases, clock, kpi_marks, notify, panels, timeline

SLA_BREACH = "sla_breach"
MEMBER_REQUEST = "member_request_after_breach"
MEMBER_APPEAL = "member_appeal"
MAX_APPEAL = 4000

# Timeline kinds (String(40)); the member's page words each one (web/filters.py).
ESCALATED = {
    clock.Target.FIRST_RESPONSE: "escalated.first_response",
    clock.Target.RESOLUTION: "escalated.resolution",
    MEMBER_REQUEST: "escalated.member_request",
    MEMBER_APPEAL: "escalated.appeal",
}
BREACHED = {
    clock.Target.FIRST_RESPONSE: "breached.first_response",
    clock.Target.RESOLUTION: "breached.resolution",
}
WHY = {
    clock.Target.FIRST_RESPONSE: "the first response was not given by the promised date",
    clock.Target.RESOLUTION: "the decision was not made by the promised date",
    MEMBER_REQUEST: "the member asked for it after a promised date was missed",
    MEMBER_APPEAL: "the member appealed the decision",
}
TRIGGER_OF = {
    clock.Target.FIRST_RESPONSE: SLA_BREACH,
    clock.Target.RESOLUTION: SLA_BREACH,
    MEMBER_REQUEST: MEMBER_REQUEST,
    MEMBER_APPEAL: MEMBER_APPEAL,
}


def next_level_for(ladder: Ladder, current: int, trigger: str) -> Level | None:
    """The first level above `current` that `trigger` leads to, or None at the top."""
    return next(
        (lv for lv in ladder.ordered if lv.number > current and trigger in lv.entered_by), None
    )


def _title(level: Level) -> str:
    return level.title.in_language("en")  # the record stays English (see the module doc)


def climb(
    session: Session,
    case: Grievance,
    level: Level,
    why: str,
    policies: PolicySet,
    now: datetime,
    *,
    actor: User | None = None,
    by_member: bool = False,
) -> None:
    """Move `case` up to `level` because of `why` (a key of ESCALATED), with its public
    event, the panel when the level has one, and the audit entry."""
    before = case.escalation_level
    case.escalation_level = level.number
    if why != MEMBER_APPEAL:  # an appeal is counted as an appeal, not an escalation
        kpi_marks.escalated(case, now)
    timeline.add_event(
        case,
        ESCALATED[why],
        None,
        detail=f"Moved to level {level.number} ({_title(level)}): {WHY[why]}",
        now=now,
    )
    if level.actor == "grievance_panel":
        panels.seat_panel(session, case, level.number, policies, now)
    notify.level_changed(session, case, TRIGGER_OF[why], now)
    audit.record(
        session,
        actor,
        "case.escalated",
        "grievance",
        case.id,
        {"from": before, "to": level.number, "trigger": TRIGGER_OF[why], "why": str(why)},
        now=now,
        by_member=by_member,
    )


# --- the member asks for escalation after a missed date -------------------------------


def escalation_offer(case: Grievance, policies: PolicySet, now: datetime) -> Level | None:
    """The level the member may ask to move the case to now, or None (no button)."""
    if not case.is_open or case.escalation_requested_at is not None:
        return None
    if not clock.date_missed(case, now):
        return None
    return next_level_for(policies.ladder, case.escalation_level, MEMBER_REQUEST)


def request_escalation(
    session: Session,
    member: User,
    case: Grievance,
    policies: PolicySet,
    now: datetime | None = None,
) -> Level:
    """The member's "Ask for escalation": once, and only once a promised date has passed."""
    now = now or utcnow()
    cases.check_owner(member, case)
    if case.escalation_requested_at is not None:
        raise InvalidInput(_l("You have already asked for this grievance to be escalated."))
    if not case.is_open:
        label = workflow.info(case.status).label
        raise InvalidInput(
            _l("This grievance is “%(status)s”, so it cannot be escalated.", status=label)
        )
    if not clock.date_missed(case, now):
        raise InvalidInput(_l("You can ask for escalation once a date we promised you has passed."))
    level = next_level_for(policies.ladder, case.escalation_level, MEMBER_REQUEST)
    if level is None:
        raise InvalidInput(
            _l(
                "Your grievance is already at level %(number)d; asking cannot move it higher.",
                number=case.escalation_level,
            )
        )
    case.escalation_requested_at = now
    climb(session, case, level, MEMBER_REQUEST, policies, now, actor=member, by_member=True)
    return level


# --- the member appeals a decision ----------------------------------------------------


def appeal_offer(case: Grievance, policies: PolicySet, now: datetime) -> Level | None:
    """The level an appeal would go to now, or None (no window open, or nowhere higher)."""
    if not workflow.can_move(case.status, Status.APPEALED, Mover.MEMBER):
        return None
    if case.appeal_due_at is None or now > case.appeal_due_at:
        return None
    return next_level_for(policies.ladder, case.escalation_level, MEMBER_APPEAL)


def appeal(
    session: Session,
    member: User,
    case: Grievance,
    reason: str,
    policies: PolicySet,
    now: datetime | None = None,
) -> Level:
    """Appeal the decision within the window: the case reopens as "appealed" at the level
    the policy names for appeals, with a panel of people who took no part in it, and a new
    decision date counted from now. The reason is kept (encrypted) on the timeline."""
    now = now or utcnow()
    cases.check_owner(member, case)
    if case.status == Status.APPEALED:
        raise InvalidInput(_l("You have already appealed this decision."))
    if not workflow.can_move(case.status, Status.APPEALED, Mover.MEMBER):
        label = workflow.info(case.status).label
        raise InvalidInput(
            _l("This grievance is “%(status)s”; only a decision can be appealed.", status=label)
        )
    if case.appeal_due_at is None or now > case.appeal_due_at:
        raise InvalidInput(_l("The time to appeal this decision has passed."))
    level = next_level_for(policies.ladder, case.escalation_level, MEMBER_APPEAL)
    if level is None:
        raise InvalidInput(
            _l("This decision was made at the last level of the procedure; it cannot be appealed.")
        )
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_l("Tell us why you disagree with the decision."), "reason")
    if len(reason) > MAX_APPEAL:
        raise InvalidInput(
            _l("Please keep this under %(max)d characters.", max=MAX_APPEAL), "reason"
        )
    timeline.move(
        session, case, Status.APPEALED, Mover.MEMBER, None, detail=reason, now=now, by_member=True
    )
    # A new promise: the appeal is decided within the priority's decision time from now.
    priority = policies.priorities.get(case.priority)
    if priority is not None:
        target = policies.calendar.duration(priority.resolution)
        case.resolution_due_at = sla.add_working_time(now, target, policies.calendar)
    case.appealed_at = now
    case.appeal_due_at = None
    case.due_soon_marked_at = None
    climb(session, case, level, MEMBER_APPEAL, policies, now, actor=member, by_member=True)
    return level
