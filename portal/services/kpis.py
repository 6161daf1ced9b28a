"""The KPI dashboard: handling figures over a period, from SQL sums over the daily ledger.

Who sees what is decided here: a committee's chairs see their committees; administrators and
auditors see every committee, in aggregates only (the case list is the chairs'). Reviewers,
panel members and members see no dashboard. Nothing here reads a case row, let alone its
content: every figure is a SUM over `kpi_days` (models/kpi_ledger.py), so a dashboard over two
years costs about what one over a week does.

Cohorts: a period's figures are about the grievances *filed* in it, as they stand today (how
many are still open, were decided, kept their promises). The backlog is the open cases now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.measures import percentile
from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.committees import Committee, CommitteeMembership, Seat
from portal.models.kpi_ledger import (
    COUNTS,
    FIRST_RESPONSE_BINS,
    RESOLUTION_BINS,
    kpi_days,
    kpi_month_causes,
    kpi_months,
    kpi_root_causes,
)
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import duties, kpi_survey
from portal.services.intake import CHANNEL_LABELS

MAX_DAYS = 366 * 5
DEFAULT_DAYS = 90
# Backlog ages, in days since filing: [low, high] inclusive.
AGES = ((0, 7), (8, 30), (31, 90), (91, None))


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    committee: str = ""  # committee slug
    category: str = ""
    channel: str = ""
    priority: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> dict[str, str]:
        """As the dashboard's address carries them (for links to CSV and PDF)."""
        values = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for name in ("committee", "category", "channel", "priority"):
            if getattr(self, name):
                values[name] = getattr(self, name)
        return values


def default_filters(today: date) -> Filters:
    return Filters(today - timedelta(days=DEFAULT_DAYS - 1), today)


@dataclass(frozen=True)
class Scope:
    """The committees whose figures this person may see."""

    committees: list[Committee]
    oversight: bool  # an administrator or auditor: every committee, aggregates only

    @property
    def ids(self) -> list[int]:
        return [c.id for c in self.committees]


def scope_for(session: Session, actor: User | None) -> Scope:
    """Chairs: the committees they chair. Administrators and auditors: all. Else refused."""
    if actor is None or not actor.active:
        raise PermissionDenied(_l("You do not have permission to do that."))
    if actor.has_role(Role.ADMIN, Role.AUDITOR) and not duties.does_casework(actor):
        committees = session.scalars(sa.select(Committee).order_by(Committee.name)).all()
        return Scope(list(committees), oversight=True)
    if actor.has_role(Role.CHAIR) and duties.does_casework(actor):
        chaired = session.scalars(
            sa.select(Committee)
            .join(CommitteeMembership)
            .where(
                CommitteeMembership.user_id == actor.id,
                CommitteeMembership.seat == Seat.CHAIR.value,
            )
            .order_by(Committee.name)
        ).all()
        if chaired:
            return Scope(list(chaired), oversight=False)
    raise PermissionDenied(
        _l("The dashboard is for committee chairs, administrators and auditors.")
    )


def check_filters(filters: Filters, scope: Scope, policies: PolicySet) -> Filters:
    """Refuse what cannot be shown, naming the field: InvalidInput."""
    problems: list[tuple[str | None, str]] = []
    if filters.end < filters.start:
        problems.append(("to", _l("The end of the period must not be before its start.")))
    elif filters.days > MAX_DAYS:
        problems.append(("from", _l("Choose a period of at most five years.")))
    if filters.committee and filters.committee not in {c.slug for c in scope.committees}:
        problems.append(("committee", _l("Choose one of the committees listed.")))
    if filters.category and filters.category not in policies.categories:
        problems.append(("category", _l("Choose one of the kinds listed.")))
    if filters.channel and filters.channel not in CHANNEL_LABELS:
        problems.append(("channel", _l("Choose one of the ways listed.")))
    if filters.priority and filters.priority not in policies.priorities:
        problems.append(("priority", _l("Choose one of the priorities listed.")))
    if problems:
        raise InvalidInput.of(problems)
    return filters


# --- the sums ---------------------------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    """A share in percent, or None when there is nothing to divide by."""
    return 100 * part / whole if whole else None


@dataclass
class Totals:
    counts: dict[str, int]
    first_response_bins: list[int]
    resolution_bins: list[int]

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)

    @property
    def first_response_compliance(self) -> float | None:
        return rate(self["fr_on_time"], self["fr_on_time"] + self["fr_late"])

    @property
    def resolution_compliance(self) -> float | None:
        return rate(self["res_on_time"], self["res_on_time"] + self["res_late"])

    @property
    def escalation_rate(self) -> float | None:
        return rate(self["escalated"], self["filed"])

    @property
    def appeal_rate(self) -> float | None:
        return rate(self["appealed"], self["resolved"])

    @property
    def repeat_rate(self) -> float | None:
        return rate(self["repeats"], self["filed"])

    def first_response(self, share: float) -> float | None:
        return percentile(self.first_response_bins, share)

    def resolution(self, share: float) -> float | None:
        return percentile(self.resolution_bins, share)


@dataclass(frozen=True)
class Where:
    """The rows of the ledger one dashboard reads."""

    committee_ids: list[int]
    filters: Filters

    def kind(self, table: sa.Table) -> list[Any]:
        """The committees and kinds of case asked for, whatever the dates."""
        found: list[Any] = [table.c.committee_id.in_(self.committee_ids)]
        for name in ("category", "channel", "priority"):
            if getattr(self.filters, name):
                found.append(table.c[name] == getattr(self.filters, name))
        return found

    def clauses(self, table: sa.Table, period: bool = True) -> list[Any]:
        found = self.kind(table)
        if period:
            found += [table.c.day >= self.filters.start, table.c.day <= self.filters.end]
        return found

    def parts(self, days: sa.Table, months: sa.Table) -> list[tuple[sa.Table, list[Any]]]:
        """(table, clauses) pairs whose rows together hold the period's cases once each.

        A period charted by month reads its whole months from the monthly ledger and only
        the days at either end from the daily one; a shorter period, charted by day or
        week, reads days."""
        start, end = self.filters.start, self.filters.end
        first = start if start.day == 1 else _next_month(start)  # the first whole month
        after = end + timedelta(days=1)
        stop = after if after.day == 1 else end.replace(day=1)  # the month after the last
        if granularity(self.filters) != "month" or first >= stop:
            return [(days, self.clauses(days))]
        day = days.c.day
        edges = sa.or_(sa.and_(day >= start, day < first), sa.and_(day >= stop, day <= end))
        return [
            (months, [*self.kind(months), months.c.day >= first, months.c.day < stop]),
            (days, [*self.kind(days), edges]),
        ]


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def where_for(scope: Scope, filters: Filters) -> Where:
    ids = scope.ids
    if filters.committee:
        ids = [c.id for c in scope.committees if c.slug == filters.committee]
    return Where(ids, filters)


def _sum(table: sa.Table, name: str) -> Any:
    return sa.func.coalesce(sa.func.sum(table.c[name]), 0)


def totals(session: Session, where: Where, period: bool = True) -> Totals:
    names = [*COUNTS, *FIRST_RESPONSE_BINS, *RESOLUTION_BINS]
    parts = (
        where.parts(kpi_days, kpi_months)
        if period
        else [(kpi_days, where.clauses(kpi_days, False))]
    )
    values = dict.fromkeys(names, 0)
    for table, clauses in parts:
        row = session.execute(
            sa.select(*(_sum(table, n).label(n) for n in names)).where(*clauses)
        ).one()
        for n in names:
            values[n] += int(getattr(row, n))
    return Totals(
        {n: values[n] for n in COUNTS},
        [values[n] for n in FIRST_RESPONSE_BINS],
        [values[n] for n in RESOLUTION_BINS],
    )


@dataclass(frozen=True)
class Breakdown:
    """Sums grouped by one column: key -> counts."""

    rows: list[tuple[Any, dict[str, int]]]


GROUPED = ("filed", "open", "resolved", "withdrawn", "fr_on_time", "fr_late")
GROUPED += ("res_on_time", "res_late", "escalated", "appealed", "repeats")


def breakdown(session: Session, where: Where, column: str) -> Breakdown:
    merged: dict[Any, dict[str, int]] = {}
    for table, clauses in where.parts(kpi_days, kpi_months):
        key = table.c[column]
        rows = session.execute(
            sa.select(key, *(_sum(table, n).label(n) for n in GROUPED))
            .where(*clauses)
            .group_by(key)
        ).all()
        for r in rows:
            sums = merged.setdefault(r[0], dict.fromkeys(GROUPED, 0))
            for n in GROUPED:
                sums[n] += int(getattr(r, n))
    return Breakdown(sorted(merged.items(), key=lambda kv: kv[0]))


def granularity(filters: Filters) -> str:
    """The chart step that gives a readable number of points for the period."""
    if filters.days <= 31:
        return "day"
    if filters.days <= 26 * 7:
        return "week"
    return "month"


def series(session: Session, where: Where) -> tuple[str, Breakdown]:
    step = granularity(where.filters)
    return step, breakdown(session, where, step)


def root_causes(session: Session, where: Where) -> list[tuple[str, int]]:
    merged: dict[str, int] = {}
    for table, clauses in where.parts(kpi_root_causes, kpi_month_causes):
        total = sa.func.sum(table.c.cases)
        rows = session.execute(
            sa.select(table.c.root_cause, total).where(*clauses).group_by(table.c.root_cause)
        ).all()
        for cause, n in rows:
            merged[cause] = merged.get(cause, 0) + int(n)
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(cause, n) for cause, n in ranked if n > 0]


def backlog(session: Session, where: Where, today: date) -> list[tuple[int, int | None, int]]:
    """Open cases now (whatever the period), by days since filing."""
    day = kpi_days.c.day
    parts = []
    for low, high in AGES:
        newest = today - timedelta(days=low)
        cond = (
            day <= newest
            if high is None
            else sa.and_(day <= newest, day >= today - timedelta(days=high))
        )
        parts.append(sa.func.coalesce(sa.func.sum(sa.case((cond, kpi_days.c.open), else_=0)), 0))
    row = session.execute(
        sa.select(*parts).where(*where.clauses(kpi_days, period=False), kpi_days.c.open > 0)
    ).one()
    return [(low, high, int(n)) for (low, high), n in zip(AGES, row, strict=True)]


@dataclass
class Dashboard:
    scope: Scope
    filters: Filters
    totals: Totals
    step: str
    series: Breakdown
    categories: Breakdown
    channels: Breakdown
    priorities: Breakdown
    committees: Breakdown
    root_causes: list[tuple[str, int]]
    backlog: list[tuple[int, int | None, int]]
    today: date
    survey: kpi_survey.SurveyFigures | None = None  # None until answers exist
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def backlog_total(self) -> int:
        return sum(n for _low, _high, n in self.backlog)


def dashboard(
    session: Session, actor: User, filters: Filters, policies: PolicySet, today: date
) -> Dashboard:
    """Every figure of the dashboard for `filters`, in a fixed handful of queries."""
    scope = scope_for(session, actor)
    filters = check_filters(filters, scope, policies)
    where = where_for(scope, filters)
    step, by_step = series(session, where)
    return Dashboard(
        scope=scope,
        filters=filters,
        totals=totals(session, where),
        step=step,
        series=by_step,
        categories=breakdown(session, where, "category"),
        channels=breakdown(session, where, "channel"),
        priorities=breakdown(session, where, "priority"),
        committees=breakdown(session, where, "committee_id"),
        root_causes=root_causes(session, where),
        backlog=backlog(session, where, today),
        today=today,
        survey=kpi_survey.survey(session, scope, filters),
    )
