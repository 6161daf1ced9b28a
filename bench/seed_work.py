"""The casework part of a seeded story: from assignment to closing, stopped by "now".

Each step happens a random while after the one before (most soon, a few late), as the
services write it: the reviewer opens the case (an audited view), acts, and the member looks
at their case afterwards. A step due after "now" does not happen, so recent cases are open
and old ones mostly closed, as in a real association. `Spec.keep_open` stops a story before
its decision (for a bench that wants more open cases than two years leave behind).
"""

from __future__ import annotations

import contextlib
import random
from datetime import datetime, timedelta

from bench import seed_texts as texts
from bench.seed_cases import SWEEP_DELAY, Chunk, Row, Spec, Staff, Story, World, _when
from portal.domain import sla
from portal.models.grievances import Decision, InternalNote, PanelSeat, PanelVote
from portal.policies.types import Level
from portal.services import escalation
from portal.services.clock import Target


class Stop(Exception):
    """The story has reached now (or its end)."""


class Casework(Story):
    def play(self) -> None:
        case = self.file()
        rng = self.rng
        self.assignee: Staff | None = None
        self.seated: list[Staff] = []
        self.t = self.spec.submitted_at
        self.slow = 15.0 if rng.random() < 0.03 else 1.0  # a few cases drag on for months
        self.withdraw_at = self.t + _when(rng, 0.3, 40) if rng.random() < 0.04 else None
        with contextlib.suppress(Stop):
            self._work()
        self.catch_up(self.w.now)
        for event in self.events:
            self.out.add(event)
        self.out.add(case)
        self.out.cases.append(
            (case.reference, self.committee, case.is_open, self.conflicted, self.spec.member_id)
        )

    # --- time ----------------------------------------------------------------------------

    def at(self, low: float, high: float, *, slow: bool = False) -> datetime:
        """The moment of the next step; Stop when it would be after now."""
        self.t += _when(self.rng, low, high) * (self.slow if slow else 1.0)
        if self.withdraw_at is not None and self.withdraw_at < self.t:
            self._withdraw(self.withdraw_at)
        if self.t > self.w.now:
            raise Stop
        self.catch_up(self.t)
        return self.t

    def _withdraw(self, at: datetime) -> None:
        if at > self.w.now or not self.case.is_open:
            raise Stop
        self.catch_up(at)
        self._resume(at)
        self.case.closed_at = at
        reason = "The office sorted it out directly. Thank you."
        self.move(at, "withdrawn", None, detail=reason, by_member=True)
        raise Stop

    def running(self) -> bool:
        return self.case.is_open and self.case.status != "awaiting_member"

    def catch_up(self, until: datetime) -> None:
        """Record the promises missed before `until`, as the sweep would have, once each."""
        case = self.case
        if not self.running():
            return
        if (
            case.first_response_at is None
            and case.first_response_breached_at is None
            and case.first_response_due_at + SWEEP_DELAY <= until
        ):
            self._breach(Target.FIRST_RESPONSE, case.first_response_due_at + SWEEP_DELAY)
        if case.resolution_breached_at is None and case.resolution_due_at + SWEEP_DELAY <= until:
            self._breach(Target.RESOLUTION, case.resolution_due_at + SWEEP_DELAY)

    def _breach(self, target: Target, at: datetime) -> None:
        case = self.case
        if target == Target.FIRST_RESPONSE:
            case.first_response_breached_at = at
        else:
            case.resolution_breached_at = at
        ladder = self.policies.ladder
        level = escalation.next_level_for(ladder, case.escalation_level, escalation.SLA_BREACH)
        if level is not None:
            self.climb(at, level, target)
            return
        detail = f"{escalation.WHY[target].capitalize()}; the case is at the top of the ladder"
        self.event(at, escalation.BREACHED[target], None, detail)
        self.audit(
            at, None, "case.sla_breached", {"target": target.value, "level": case.escalation_level}
        )

    def climb(self, at: datetime, level: Level, why: str, *, by_member: bool = False) -> None:
        before = self.case.escalation_level
        self.case.escalation_level = level.number
        title = level.title.in_language("en")
        self.event(
            at,
            escalation.ESCALATED[why],
            None,
            f"Moved to level {level.number} ({title}): {escalation.WHY[why]}",
        )
        if level.actor == "grievance_panel":
            self._seat(at, level.number)
        detail = {
            "from": before,
            "to": level.number,
            "trigger": escalation.TRIGGER_OF[why],
            "why": str(why),
        }
        self.audit(at, None, "case.escalated", detail, by_member=by_member)

    def _seat(self, at: datetime, level: int) -> None:
        size = self.policies.ladder.panel.size
        self.seated = self.rng.sample(self.w.panel, min(size, len(self.w.panel)))
        for person in self.seated:
            self.out.add(
                PanelSeat(grievance_id=self.case.id, level=level, user_id=person.id, seated_at=at)
            )
        names = ", ".join(p.name for p in self.seated)
        self.event(
            at, "panel.seated", None, f"Seated on the panel at level {level}: {names}", public=False
        )

    # --- who acts ------------------------------------------------------------------------

    def chair(self) -> Staff:
        return self.rng.choice(self.w.chairs[self.committee])

    def opens(self, at: datetime, person: Staff) -> None:
        """The committee's case page, read before acting: an audited view."""
        self.audit(at, person.id, "case.viewed")

    def member_looks(self, at: datetime) -> None:
        if self.rng.random() < 0.35:
            self.audit(at + _when(self.rng, 0.01, 2), None, "case.viewed", by_member=True)

    # --- steps ---------------------------------------------------------------------------

    def _work(self) -> None:
        rng, case = self.rng, self.case
        self.member_looks(self.t)
        at = self.at(0.02, 1.0, slow=True)
        chair = self.chair()
        self.opens(at, chair)
        reviewer = rng.choice(self.w.reviewers[self.committee])
        self.assignee = reviewer
        case.assignee_id = reviewer.id
        self.event(at, "assigned", chair.id, f"Assigned to {reviewer.name}", public=False)
        self.event(at, "reviewer_assigned", chair.id, "A reviewer has been assigned")
        self.audit(at, chair.id, "case.assigned", {"from": None, "to": reviewer.id})

        at = self.at(0.01, 0.6, slow=True)
        self.reply(at, reviewer)
        if rng.random() < 0.6:
            at = self.at(0.1, 3)
            note = Row(
                InternalNote, case, author_id=reviewer.id, created_at=at, grievance_id=case.id
            )
            note.body = rng.choice(texts.NOTES)
            self.out.add(note)
            case.last_activity_at = at
            self.audit(at, reviewer.id, "case.note_added")
        if rng.random() < 0.7:
            at = self.at(0.2, 3)
            self.move(at, "investigating", reviewer.id)
        if rng.random() < 0.3:
            self.ask_member(reviewer)
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            at = self.at(0.2, 4)
            if rng.random() < 0.5:
                self.reply(at, reviewer)
            else:
                self.member_writes(at)
        if self.spec.keep_open:
            raise Stop
        self.decide(self.at(0.5, 10, slow=True))
        self.after_decision()

    def reply(self, at: datetime, reviewer: Staff) -> None:
        case = self.case
        if self.rng.random() < 0.5:
            self.opens(at, reviewer)
        self.message(at, reviewer.id, self.rng.choice(texts.REPLIES))
        first = case.first_response_at is None
        if first:
            case.first_response_at = at
            case.due_soon_marked_at = None
        self.event(at, "committee_message", reviewer.id, "The committee sent you a message")
        if first and case.status == "acknowledged":
            self.move(at, "under_review", reviewer.id)
        self.audit(
            at, reviewer.id, "case.message_sent", {"first_response": first, "response": None}
        )
        self.member_looks(at)

    def member_writes(self, at: datetime) -> None:
        self.message(at, None, self.rng.choice(texts.MEMBER_REPLIES))
        self.event(at, "message", None, "You sent a message")
        if self.case.status == "awaiting_member":
            self._resume(at)
            self.move(at, "under_review", None, by_member=True)
        self.audit(at, None, "case.message", {"files": 0}, by_member=True)

    def ask_member(self, reviewer: Staff) -> None:
        at = self.at(0.5, 5)
        self.message(at, reviewer.id, texts.REPLIES[-1])
        self.move(at, "awaiting_member", reviewer.id)
        self.event(
            at, "information_requested", reviewer.id, "The committee asked you for more information"
        )
        self.case.paused_at = at
        detail = {"first_response": False, "response": "awaiting-member"}
        self.audit(at, reviewer.id, "case.information_requested", detail)
        self.member_looks(at)
        self.member_writes(self.at(0.3, 8))

    def _resume(self, at: datetime) -> None:
        """cases.resume_clock: the working time spent waiting moves the decision date."""
        case = self.case
        if case.paused_at is None:
            return
        if case.paused_at < case.resolution_due_at:
            waited = sla.working_time_between(case.paused_at, at, self.calendar)
            case.resolution_due_at = sla.extend_due(case.resolution_due_at, waited, self.calendar)
            case.paused_seconds += int(waited.total_seconds())
        case.paused_at = None
        case.due_soon_marked_at = None

    def decide(self, at: datetime) -> None:
        case, rng = self.case, self.rng
        outcome = rng.choice(list(self.policies.outcomes))
        clauses = rng.sample(list(self.policies.clauses), rng.randint(1, 2))
        by_panel = case.escalation_level >= 3 and bool(self.seated)
        if by_panel:
            voters = self.seated[:2]
            for voter in voters:
                vote = Row(
                    PanelVote,
                    case,
                    grievance_id=case.id,
                    level=case.escalation_level,
                    user_id=voter.id,
                    at=at,
                )
                vote.outcome = outcome
                vote.opinion = rng.choice(texts.RATIONALES)
                self.out.add(vote)
                detail = {"level": case.escalation_level, "changed": False}
                self.audit(at, voter.id, "panel.voted", detail)
            decider = voters[-1]
        else:
            decider = (
                self.assignee if case.escalation_level == 1 and self.assignee else self.chair()
            )
            self.opens(at, decider)
        if case.status in ("acknowledged", "appealed", "reopened"):
            self.move(at, "under_review", decider.id)
        self.move(at, "resolved", decider.id)
        decision = Row(
            Decision, case,
            level=case.escalation_level, decided_by_id=decider.id, decided_at=at,
            by_panel=by_panel, grievance_id=case.id,
        )  # fmt: skip
        decision.outcome = outcome
        decision.rationale = rng.choice(texts.RATIONALES)
        decision.remedy = rng.choice(texts.OUTCOMES) if rng.random() < 0.5 else None
        decision.clauses = ",".join(c for c in self.policies.clauses if c in clauses)
        self.out.add(decision)
        case.resolved_at = at
        if case.first_response_at is None:
            case.first_response_at = at
        case.due_soon_marked_at = None
        ladder, calendar = self.policies.ladder, self.calendar
        case.appeal_due_at = (
            None
            if ladder.next_level(case.escalation_level) is None
            else sla.add_working_time(at, calendar.duration(ladder.appeal_window), calendar)
        )
        self.event(at, "decided", decider.id, f"Decision: {outcome}")
        detail = {
            "level": case.escalation_level,
            "outcome": outcome,
            "clauses": [c for c in self.policies.clauses if c in clauses],
            "final": case.appeal_due_at is None,
        }
        self.audit(at, decider.id, "case.decided", detail)
        self.member_looks(at)

    def after_decision(self) -> None:
        case, rng = self.case, self.rng
        self.withdraw_at = None  # a decided case is not withdrawn
        if case.appeal_due_at is not None and rng.random() < 0.05:
            self.appeal(self.at(0.5, 10))
            self.decide(self.at(3, 15))
        wait = max(timedelta(days=10), (case.appeal_due_at or self.t) - self.t)
        self.t += wait
        at = self.at(0.1, 3)
        chair = self.chair()
        self.opens(at, chair)
        case.closed_at = at
        self.move(at, "closed", chair.id)
        if rng.random() < 0.01:
            at = self.at(1, 20)
            case.closed_at = None
            self.move(at, "reopened", chair.id)

    def appeal(self, at: datetime) -> None:
        case = self.case
        reason = "The decision did not address the main point of my grievance."
        self.move(at, "appealed", None, detail=reason, by_member=True)
        priority = self.policies.priorities[case.priority]
        target = self.calendar.duration(priority.resolution)
        case.resolution_due_at = sla.add_working_time(at, target, self.calendar)
        case.resolution_breached_at = None
        case.appealed_at = at
        case.appeal_due_at = None
        level = escalation.next_level_for(
            self.policies.ladder, case.escalation_level, escalation.MEMBER_APPEAL
        )
        if level is not None:
            self.climb(at, level, escalation.MEMBER_APPEAL, by_member=True)


def make_chunk(world: World, specs: list[Spec], seed: int) -> Chunk:
    """The rows of these cases (run in a worker process; keys are installed there)."""
    out = Chunk()
    rng = random.Random(seed)
    for spec in specs:
        Casework(world, spec, rng, out).play()
    return out
