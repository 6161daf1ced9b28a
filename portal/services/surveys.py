"""The survey after a decision: scheduled at the decision, sent and reminded by the sweep,
answered once from the mailed link without signing in.

Timing is `policies/survey.toml`'s: the invitation goes `send_after` (working time) after the
decision, if the decision still stands then (an appeal or a reopening holds it until the next
decision); `reminder_after` a sent and unanswered survey is reminded once; `closes_after`
the links stop working. The mail and the reminder carry a token each; only their SHA-256 is
kept, and both die when the survey is answered or closes.

The answer is written apart from the case (models/surveys.py): no case or member id, no time.
A score of LOW_SCORE or less opens a follow-up for the committee's chair. Answering is not
audited: an entry would date the answer beside its case, which is what the table avoids.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain import sla, workflow
from portal.domain.errors import InvalidInput, NotFound
from portal.i18n import _l
from portal.models.grievances import Claimant, Grievance
from portal.models.surveys import SurveyAnswer, SurveyFollowUp, SurveyInvitation
from portal.models.users import User
from portal.policies.durations import CalendarPeriod
from portal.policies.types import PolicySet
from portal.services import notifications, outbox

LOW_SCORE = 2  # this or less on any question opens a follow-up for the chair
MAX_COMMENT = 4000
BATCH = 200
SCALES = {"outcome": (1, 5), "process": (1, 5), "fairness": (1, 5), "recommend": (0, 10)}
CLOSED = _l("This survey was already answered, or its link has expired. Thank you all the same.")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- at the decision -------------------------------------------------------------------------


def schedule(session: Session, case: Grievance, policies: PolicySet, now: datetime) -> None:
    """A decision was made: the survey goes `send_after` from now (a later decision, after an
    appeal, moves a survey not yet sent; one already sent stays as it is)."""
    calendar = policies.calendar
    send_at = sla.add_working_time(now, calendar.duration(policies.survey.send_after), calendar)
    found = session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.grievance_id == case.id)
    )
    if found is None:
        session.add(SurveyInvitation(grievance_id=case.id, send_at=send_at))
    elif found.sent_at is None:
        found.send_at = send_at


# --- the sweep -------------------------------------------------------------------------------


@dataclass
class SurveySweep:
    sent: int = 0
    reminded: int = 0

    def line(self) -> str:
        return f"survey sweep: {self.sent} surveys sent, {self.reminded} reminders"


def _batches(session: Session, where: sa.ColumnElement[bool]) -> Iterator[list[SurveyInvitation]]:
    last = None
    while True:
        stmt = sa.select(SurveyInvitation).where(where)
        if last is not None:
            stmt = stmt.where(SurveyInvitation.id > last)
        stmt = stmt.order_by(SurveyInvitation.id).limit(BATCH).with_for_update(skip_locked=True)
        batch = list(session.scalars(stmt))
        if not batch:
            return
        yield batch
        last = batch[-1].id


def _shortest(period: CalendarPeriod) -> timedelta:
    """No period is shorter than this (a month is at least 28 days): the SQL cut."""
    per = {"days": 1, "weeks": 7, "months": 28, "years": 365}[period.unit]
    return timedelta(days=period.amount * per)


@dataclass(frozen=True)
class _Recipient:
    to: User | str
    language: str | None
    wants_reminders: bool


def _recipient(session: Session, case: Grievance) -> _Recipient | None:
    """The case's member (or the address staff recorded for someone without an account)."""
    member_id = case.member_user_id()
    if member_id:
        member = session.get(User, member_id)
        if member is None or not member.active:
            return None
        wants = member.mail_preference != notifications.MAIL_IMPORTANT
        return _Recipient(member, member.language, wants)
    claimant = session.scalar(sa.select(Claimant).where(Claimant.grievance_id == case.id))
    if claimant is not None and claimant.claimed_at is None and claimant.email:
        return _Recipient(claimant.email, None, True)
    return None


def _mail(
    session: Session,
    invitation: SurveyInvitation,
    recipient: _Recipient,
    template: str,
    now: datetime,
) -> str:
    token = secrets.token_urlsafe(32)
    outbox.enqueue(
        session,
        to=recipient.to,
        template=template,
        context={
            "reference": invitation.grievance.reference,
            "token": token,
            "closes": invitation.closes_at.isoformat() if invitation.closes_at else None,
        },
        language=recipient.language,
        now=now,
    )
    return digest(token)


def send_due(session: Session, policies: PolicySet, now: datetime, summary: SurveySweep) -> None:
    """Mail every survey due by now whose decision still stands."""
    due = sa.and_(SurveyInvitation.sent_at.is_(None), SurveyInvitation.send_at <= now)
    for batch in _batches(session, due):
        for invitation in batch:
            case = invitation.grievance
            if case.status not in workflow.DECIDED:
                continue  # appealed or reopened: the next decision schedules it again
            invitation.sent_at = now
            invitation.closes_at = policies.survey.closes_after.after(now)
            recipient = _recipient(session, case)
            stale = policies.survey.closes_after.after(invitation.send_at) <= now
            if recipient is None or stale:  # nobody to ask, or too late to: closed unsent
                invitation.closes_at = now
                continue
            invitation.language = recipient.language
            invitation.token_hash = _mail(session, invitation, recipient, "survey_invitation", now)
            summary.sent += 1
        session.flush()


def remind(session: Session, policies: PolicySet, now: datetime, summary: SurveySweep) -> None:
    """One reminder for a survey sent `reminder_after` ago and still open and unanswered
    (not to a member who asked for mail about decisions and requests only)."""
    period = policies.survey.reminder_after
    if period is None:
        return
    candidates = sa.and_(
        SurveyInvitation.answered.is_(False),
        SurveyInvitation.reminded_at.is_(None),
        SurveyInvitation.sent_at <= now - _shortest(period),
        SurveyInvitation.token_hash.is_not(None),
        SurveyInvitation.closes_at > now,
    )
    for batch in _batches(session, candidates):
        for invitation in batch:
            assert invitation.sent_at is not None
            if period.after(invitation.sent_at) > now:
                continue
            invitation.reminded_at = now
            recipient = _recipient(session, invitation.grievance)
            if recipient is None or not recipient.wants_reminders:
                continue
            invitation.reminder_token_hash = _mail(
                session, invitation, recipient, "survey_reminder", now
            )
            summary.reminded += 1
        session.flush()


def open_without_mail(session: Session, case: Grievance, policies: PolicySet, now: datetime) -> str:
    """Open a decided case's survey and return its link's token instead of mailing it (the
    demo's history of answered surveys)."""
    invitation = session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.grievance_id == case.id)
    )
    if invitation is None or invitation.sent_at is not None:
        raise ValueError(f"{case.reference} has no survey waiting to be sent")
    token = secrets.token_urlsafe(32)
    invitation.sent_at = now
    invitation.closes_at = policies.survey.closes_after.after(now)
    invitation.token_hash = digest(token)
    session.flush()
    return token


def sweep(session: Session, policies: PolicySet, now: datetime) -> SurveySweep:
    """Send the surveys due and the reminders due; flushes, the caller commits."""
    summary = SurveySweep()
    send_due(session, policies, now, summary)
    remind(session, policies, now, summary)
    return summary


# --- answering ---------------------------------------------------------------------------------


def _find(session: Session, token: str, now: datetime, *, lock: bool = False) -> SurveyInvitation:
    if not token or len(token) > 100:
        raise NotFound(CLOSED)
    hashed = digest(token)
    stmt = sa.select(SurveyInvitation).where(
        sa.or_(
            SurveyInvitation.token_hash == hashed,
            SurveyInvitation.reminder_token_hash == hashed,
        )
    )
    if lock:
        stmt = stmt.with_for_update()
    found = session.scalar(stmt)
    if found is None or found.answered or found.closes_at is None or found.closes_at <= now:
        raise NotFound(CLOSED)
    return found


def open_survey(session: Session, token: str, now: datetime | None = None) -> SurveyInvitation:
    """The invitation this link opens; NotFound once answered or closed, or for any other
    token. Nothing about the case is shown to whoever holds the link."""
    return _find(session, token, now or utcnow())


@dataclass
class Answers:
    outcome: int | None
    process: int | None
    fairness: int | None
    recommend: int | None
    comment: str = ""

    def scores(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in SCALES}


def check(answers: Answers) -> None:
    problems: list[tuple[str | None, str]] = []
    for name, (low, high) in SCALES.items():
        value = getattr(answers, name)
        if not isinstance(value, int) or not low <= value <= high:
            problems.append(
                (
                    f"{name}_score",
                    _l("Choose a number from %(low)d to %(high)d.", low=low, high=high),
                )
            )
    if len(answers.comment.strip()) > MAX_COMMENT:
        problems.append(
            ("comment", _l("Please keep this under %(max)d characters.", max=MAX_COMMENT))
        )
    if problems:
        raise InvalidInput.of(problems)


def submit(
    session: Session,
    token: str,
    answers: Answers,
    policies: PolicySet,
    now: datetime | None = None,
) -> SurveyAnswer:
    """Store the answers apart from the case and spend the link; a low score opens the
    chair's follow-up. The invitation is locked, so the same link sent twice at once
    counts once."""
    now = now or utcnow()
    invitation = _find(session, token, now, lock=True)
    check(answers)
    case = invitation.grievance
    decided = case.resolved_at or now
    month = decided.astimezone(policies.calendar.time_zone).date().replace(day=1)
    scores = answers.scores()
    answer = SurveyAnswer.new(
        answers.comment.strip() or None,
        committee_id=case.committee_id,
        category=case.category,
        reviewer_id=case.assignee_id,
        decided_month=month,
        outcome_score=scores["outcome"],
        process_score=scores["process"],
        fairness_score=scores["fairness"],
        recommend_score=scores["recommend"],
    )
    session.add(answer)
    invitation.answered = True
    invitation.token_hash = invitation.reminder_token_hash = None
    if min(scores.values()) <= LOW_SCORE:
        exists = session.scalar(
            sa.select(SurveyFollowUp.id).where(SurveyFollowUp.grievance_id == case.id)
        )
        if exists is None:
            session.add(
                SurveyFollowUp(grievance_id=case.id, committee_id=case.committee_id, created_at=now)
            )
    session.flush()
    return answer
