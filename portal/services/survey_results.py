"""What the surveys say, for the chairs of the committees they rate, and the follow-ups.

Figures are counted in SQL over `survey_answers` (never a case): answers, the average of
each 1-5 score and of the 0-10 score, and NPS, the percentage of promoters (9-10) minus
that of detractors (0-6). A group (a committee, one of its categories, one reviewer) shows
its figures only from MIN_ANSWERS answers; below that, only its count. When a breakdown
hides exactly one group, its figures would follow from the committee's total minus the
others, so the smallest group shown is hidden too. Comments are listed for a committee
with MIN_ANSWERS answers or more, in no particular order (by random id, not by time).

Only a chair sees their committee's results; reviewers and members see none. Follow-ups
(a score of 2 or less) are listed for the chairs who may open the case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import NotFound
from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.committees import Committee, CommitteeMembership, Seat
from portal.models.grievances import Grievance
from portal.models.surveys import SurveyAnswer, SurveyFollowUp
from portal.models.users import User
from portal.services import audit, casefile, duties
from portal.services.access import require_role

MIN_ANSWERS = 5
MAX_COMMENTS = 100


@dataclass(frozen=True)
class Figures:
    answers: int
    outcome: float | None = None
    process: float | None = None
    fairness: float | None = None
    recommend: float | None = None
    nps: int | None = None  # -100 to 100
    shown: bool = False

    def hidden(self) -> Figures:
        return Figures(self.answers)


@dataclass(frozen=True)
class Group:
    key: str | int | None  # a category slug, a reviewer id (None: nobody assigned)
    figures: Figures
    name: str = ""  # a reviewer's name


@dataclass
class CommitteeResults:
    committee: Committee
    total: Figures
    by_category: list[Group] = field(default_factory=list)
    by_reviewer: list[Group] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _aggregates() -> list[sa.ColumnElement[object]]:
    a = SurveyAnswer
    return [
        sa.func.count().label("answers"),
        sa.func.avg(a.outcome_score).label("outcome"),
        sa.func.avg(a.process_score).label("process"),
        sa.func.avg(a.fairness_score).label("fairness"),
        sa.func.avg(a.recommend_score).label("recommend"),
        sa.func.sum(sa.case((a.recommend_score >= 9, 1), else_=0)).label("promoters"),
        sa.func.sum(sa.case((a.recommend_score <= 6, 1), else_=0)).label("detractors"),
    ]


def _figures(row: sa.Row[tuple[object, ...]]) -> Figures:
    n = int(row.answers)  # type: ignore[attr-defined]
    if n < MIN_ANSWERS:
        return Figures(n)

    def avg(value: object) -> float:
        return round(float(value), 1)  # type: ignore[arg-type]

    nps = round(100 * (int(row.promoters) - int(row.detractors)) / n)  # type: ignore[attr-defined]
    return Figures(
        n,
        avg(row.outcome),  # type: ignore[attr-defined]
        avg(row.process),  # type: ignore[attr-defined]
        avg(row.fairness),  # type: ignore[attr-defined]
        avg(row.recommend),  # type: ignore[attr-defined]
        nps,
        shown=True,
    )


def _suppress_complement(groups: list[Group]) -> list[Group]:
    """Hide the smallest shown group when exactly one other is hidden."""
    hidden = [g for g in groups if not g.figures.shown and g.figures.answers]
    shown = [g for g in groups if g.figures.shown]
    if len(hidden) != 1 or not shown:
        return groups
    smallest = min(shown, key=lambda g: g.figures.answers)
    return [replace(g, figures=g.figures.hidden()) if g is smallest else g for g in groups]


def chaired(session: Session, actor: User) -> list[Committee]:
    """The committees `actor` chairs (and may do casework for)."""
    if not duties.does_casework(actor):
        return []
    return list(
        session.scalars(
            sa.select(Committee)
            .join(CommitteeMembership, CommitteeMembership.committee_id == Committee.id)
            .where(
                CommitteeMembership.user_id == actor.id,
                CommitteeMembership.seat == Seat.CHAIR.value,
            )
            .order_by(Committee.name)
        )
    )


def results(session: Session, actor: User) -> list[CommitteeResults]:
    """Each committee the actor chairs, with its figures and breakdowns (a fixed number of
    queries whatever the number of answers)."""
    require_role(actor, Role.CHAIR)
    committees = chaired(session, actor)
    if not committees:
        return []
    ids = [c.id for c in committees]
    a = SurveyAnswer
    totals = {
        row.committee_id: _figures(row)
        for row in session.execute(
            sa.select(a.committee_id, *_aggregates())
            .where(a.committee_id.in_(ids))
            .group_by(a.committee_id)
        )
    }
    categories: dict[int, list[Group]] = {}
    for row in session.execute(
        sa.select(a.committee_id, a.category, *_aggregates())
        .where(a.committee_id.in_(ids))
        .group_by(a.committee_id, a.category)
        .order_by(a.committee_id, a.category)
    ):
        categories.setdefault(row.committee_id, []).append(Group(row.category, _figures(row)))
    reviewers: dict[int, list[Group]] = {}
    names = dict(
        session.execute(
            sa.select(User.id, User.full_name).where(
                User.id.in_(sa.select(a.reviewer_id).where(a.committee_id.in_(ids)))
            )
        ).all()
    )
    for row in session.execute(
        sa.select(a.committee_id, a.reviewer_id, *_aggregates())
        .where(a.committee_id.in_(ids))
        .group_by(a.committee_id, a.reviewer_id)
    ):
        name = names.get(row.reviewer_id, "") if row.reviewer_id is not None else ""
        group = Group(row.reviewer_id, _figures(row), name)
        reviewers.setdefault(row.committee_id, []).append(group)
    found = []
    for committee in committees:
        total = totals.get(committee.id, Figures(0))
        result = CommitteeResults(
            committee,
            total,
            _suppress_complement(categories.get(committee.id, [])),
            sorted(
                _suppress_complement(reviewers.get(committee.id, [])),
                key=lambda g: (g.key is None, g.name),
            ),
        )
        if total.shown:
            result.comments = _comments(session, committee.id)
        found.append(result)
    return found


def _comments(session: Session, committee_id: int) -> list[str]:
    rows = session.scalars(
        sa.select(SurveyAnswer)
        .where(SurveyAnswer.committee_id == committee_id, SurveyAnswer.comment_ct.is_not(None))
        .order_by(SurveyAnswer.id)  # random ids: an order that says nothing of when
        .limit(MAX_COMMENTS)
    )
    return [row.comment or "" for row in rows]


# --- follow-ups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    id: uuid.UUID
    reference: str
    committee: Committee
    created_at: datetime


def open_follow_ups(session: Session, actor: User) -> list[FollowUp]:
    """Follow-ups not yet done, for the committees the actor chairs, on cases they may open."""
    require_role(actor, Role.CHAIR)
    ids = [c.id for c in chaired(session, actor)]
    if not ids:
        return []
    rows = session.execute(
        sa.select(SurveyFollowUp, Grievance.reference, Committee)
        .join(Grievance, Grievance.id == SurveyFollowUp.grievance_id)
        .join(Committee, Committee.id == SurveyFollowUp.committee_id)
        .where(SurveyFollowUp.committee_id.in_(ids), SurveyFollowUp.done_at.is_(None))
        .order_by(SurveyFollowUp.created_at, SurveyFollowUp.id)
    ).all()
    openable = casefile.openable_ids(session, actor, [f.grievance_id for f, _r, _n in rows])
    return [
        FollowUp(f.id, reference, committee, f.created_at)
        for f, reference, committee in rows
        if f.grievance_id in openable
    ]


def mark_done(
    session: Session, actor: User, follow_up_id: str, now: datetime | None = None
) -> SurveyFollowUp:
    """The chair has looked into it."""
    require_role(actor, Role.CHAIR)
    gone = NotFound(_l("We could not find that follow-up."))
    try:
        key = uuid.UUID(follow_up_id)
    except ValueError:
        raise gone from None
    row = session.get(SurveyFollowUp, key)
    chairs = {c.id for c in chaired(session, actor)}
    if (
        row is None
        or row.committee_id not in chairs
        or row.grievance_id not in casefile.openable_ids(session, actor, [row.grievance_id])
    ):
        raise gone
    if row.done_at is None:
        now = now or utcnow()
        row.done_at, row.done_by_id = now, actor.id
        audit.record(
            session, actor, "survey.follow_up_done", "grievance", row.grievance_id, now=now
        )
    return row
