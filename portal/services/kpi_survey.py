"""The dashboard's survey figures: satisfaction, fairness and NPS over the period.

Answers are kept apart from their cases (models/surveys.py): each holds its committee, its
category and the month its case was decided, nothing more. So the dashboard's period counts
the answers about cases decided in the months it touches, and its channel and priority
filters cannot apply to them. The figures follow the survey's own rule
(services/survey_results.py): a group shows its averages only from five answers, and when a
breakdown hides exactly one group, the smallest shown one is hidden too, so that no group can
be worked out from the total. Counts in SQL; no answer row reaches Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.models.surveys import SurveyAnswer
from portal.services.survey_results import (
    MIN_ANSWERS,
    Figures,
    Group,
    _aggregates,
    _figures,
    _suppress_complement,
)

if TYPE_CHECKING:  # kpis asks this module for the survey section
    from portal.services.kpis import Filters, Scope


@dataclass(frozen=True)
class SurveyFigures:
    total: Figures
    by_category: list[Group] = field(default_factory=list)
    by_committee: list[Group] = field(default_factory=list)
    filtered: bool = False  # channel or priority chosen: they do not apply to answers

    @property
    def minimum(self) -> int:
        return MIN_ANSWERS


def survey(session: Session, scope: Scope, filters: Filters) -> SurveyFigures | None:
    """None when no answer falls in the period (the dashboard says the survey is to come)."""
    a = SurveyAnswer
    ids = [c.id for c in scope.committees if not filters.committee or c.slug == filters.committee]
    where = [
        a.committee_id.in_(ids),
        a.decided_month >= filters.start.replace(day=1),
        a.decided_month <= filters.end,
    ]
    if filters.category:
        where.append(a.category == filters.category)
    total = _figures(session.execute(sa.select(*_aggregates()).where(*where)).one())
    if not total.answers:
        return None
    categories = [
        Group(row.category, _figures(row))
        for row in session.execute(
            sa.select(a.category, *_aggregates())
            .where(*where)
            .group_by(a.category)
            .order_by(a.category)
        )
    ]
    committees = [
        Group(row.committee_id, _figures(row))
        for row in session.execute(
            sa.select(a.committee_id, *_aggregates())
            .where(*where)
            .group_by(a.committee_id)
            .order_by(a.committee_id)
        )
    ]
    return SurveyFigures(
        total,
        _suppress_complement(categories),
        _suppress_complement(committees) if len(ids) > 1 else [],
        filtered=bool(filters.channel or filters.priority),
    )
