"""The dashboard's figures as tables (and the chart drawn from each), in the reader's language.

One `Table` feeds the page (a chart with its data table beside it), the CSV export and the
monthly report, so the three always agree. Cells keep their values (counts, shares in
percent, working hours); the page formats them for the reader and the CSV writes them plain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from babel.dates import format_skeleton

from portal import charts
from portal.domain.measures import BINS, groups
from portal.i18n import _l, language_or_fallback
from portal.policies.types import PolicySet
from portal.services.intake import CHANNEL_LABELS
from portal.services.kpis import Breakdown, Dashboard, rate
from portal.services.survey_results import Figures

TEXT, COUNT, PERCENT, HOURS = "text", "count", "percent", "hours"
# Decision times shown in working days, as the policy promises them: [low, high) hours.
DECISION_GROUPS = groups((0, 8, 16, 40, 80, 120, 160, 240))


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT


@dataclass
class Table:
    key: str  # names the CSV: dashboard.csv?table=<key>
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    chart: str = ""  # the SVG drawn from these rows, if any
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _day(day: date, skeleton: str, lang: str) -> str:
    locale = "en_GB" if language_or_fallback(lang) == "en" else lang
    return format_skeleton(skeleton, day, locale=locale)


def steps(start: date, end: date, step: str) -> list[date]:
    """Every day, Monday or first of the month from `start` to `end`, so gaps show as zeros."""
    if step == "day":
        first, size = start, 1
    elif step == "week":
        first, size = start - timedelta(days=start.weekday()), 7
    else:
        found, current = [], start.replace(day=1)
        while current <= end:
            found.append(current)
            current = (current + timedelta(days=32)).replace(day=1)
        return found
    return [first + timedelta(days=i) for i in range(0, (end - first).days + 1, size)]


def step_label(day: date, step: str, lang: str) -> str:
    return _day(day, "yMMM" if step == "month" else "MMMd", lang)


def _label(policies: PolicySet, kind: str, slug: str, lang: str) -> str:
    found = getattr(policies, kind).get(slug)
    return found.label.in_language(lang) if found is not None else slug


def summary(d: Dashboard) -> Table:
    t = d.totals
    rows: list[list[Any]] = [
        [str(_l("Grievances filed")), t["filed"], ""],
        [str(_l("Still open")), t["open"], ""],
        [str(_l("Decided")), t["resolved"], ""],
        [str(_l("Withdrawn")), t["withdrawn"], ""],
        [str(_l("First response, median")), t.first_response(0.5), str(_l("working hours"))],
        [
            str(_l("First response, 90th percentile")),
            t.first_response(0.9),
            str(_l("working hours")),
        ],
        [str(_l("Decision, median")), t.resolution(0.5), str(_l("working hours"))],
        [str(_l("Decision, 90th percentile")), t.resolution(0.9), str(_l("working hours"))],
        [str(_l("First responses on time")), t.first_response_compliance, "%"],
        [str(_l("Decisions on time")), t.resolution_compliance, "%"],
        [str(_l("Escalated")), t.escalation_rate, "%"],
        [str(_l("Appealed (of those decided)")), t.appeal_rate, "%"],
        [str(_l("Repeat grievances (same member and kind within 90 days)")), t.repeat_rate, "%"],
        [str(_l("Open now, all periods")), d.backlog_total, ""],
    ]
    columns = [Column(str(_l("Measure"))), Column(str(_l("Value")), HOURS), Column(str(_l("Unit")))]
    return Table("summary", str(_l("Summary")), columns, rows)


def _period_table(d: Dashboard, lang: str) -> tuple[list[date], dict[Any, dict[str, int]]]:
    return steps(d.filters.start, d.filters.end, d.step), dict(d.series.rows)


def volume(d: Dashboard, lang: str) -> Table:
    days, found = _period_table(d, lang)
    rows = []
    for day in days:
        counts = found.get(day, {})
        rows.append(
            [step_label(day, d.step, lang), counts.get("filed", 0), counts.get("resolved", 0)]
        )
    title = str(_l("Grievances filed over time"))
    filed, decided = str(_l("Filed")), str(_l("Of those, decided"))
    table = Table(
        "volume",
        title,
        [Column(str(_l("Period"))), Column(filed, COUNT), Column(decided, COUNT)],
        rows,
    )
    labels = tuple(r[0] for r in rows)
    table.chart = charts.bars(
        title, labels, ((filed, tuple(r[1] for r in rows)), (decided, tuple(r[2] for r in rows)))
    )
    return table


def promises(d: Dashboard, lang: str) -> Table:
    days, found = _period_table(d, lang)
    rows = []
    for day in days:
        c = found.get(day, {})
        rows.append(
            [
                step_label(day, d.step, lang),
                rate(c.get("fr_on_time", 0), c.get("fr_on_time", 0) + c.get("fr_late", 0)),
                rate(c.get("res_on_time", 0), c.get("res_on_time", 0) + c.get("res_late", 0)),
            ]
        )
    title = str(_l("Promises kept over time"))
    first, decision = str(_l("First responses on time (%)")), str(_l("Decisions on time (%)"))
    columns = [Column(str(_l("Filed in"))), Column(first, PERCENT), Column(decision, PERCENT)]
    table = Table("promises", title, columns, rows)
    table.chart = charts.lines(
        title,
        tuple(r[0] for r in rows),
        ((first, tuple(r[1] for r in rows)), (decision, tuple(r[2] for r in rows))),
    )
    return table


def _days_label(low: float, high: float | None) -> str:
    a = int(low // 8)
    if high is None:
        return str(_l("More than %(days)d working days", days=a))
    b = int(high // 8)
    if a == 0:
        return (
            str(_l("Under %(days)d working day", days=b))
            if b == 1
            else str(_l("Under %(days)d working days", days=b))
        )
    return str(_l("%(low)d to %(high)d working days", low=a, high=b))


def decision_times(d: Dashboard) -> Table:
    bins = d.totals.resolution_bins
    assert len(bins) == BINS
    rows = [[_days_label(g.low, g.high), sum(bins[g.first : g.last + 1])] for g in DECISION_GROUPS]
    title = str(_l("How long decisions took"))
    decided = str(_l("Decided"))
    table = Table(
        "decision_times",
        title,
        [Column(str(_l("Working time to the decision"))), Column(decided, COUNT)],
        rows,
        note=str(
            _l(
                "Working time counts the association's opening hours only, and not the time spent waiting for the member."
            )
        ),
    )
    table.chart = charts.bars(
        title, tuple(r[0] for r in rows), ((decided, tuple(r[1] for r in rows)),), horizontal=True
    )
    return table


def _grouped(
    key: str, title: str, first: str, breakdown: Breakdown, label: Any, chart: bool = True
) -> Table:
    rows = []
    for slug, c in breakdown.rows:
        rows.append(
            [
                label(slug),
                c["filed"],
                c["open"],
                c["resolved"],
                rate(c["fr_on_time"], c["fr_on_time"] + c["fr_late"]),
                rate(c["res_on_time"], c["res_on_time"] + c["res_late"]),
            ]
        )
    rows.sort(key=lambda r: (-r[1], r[0]))
    filed = str(_l("Filed"))
    columns = [
        Column(first),
        Column(filed, COUNT),
        Column(str(_l("Still open")), COUNT),
        Column(str(_l("Decided")), COUNT),
        Column(str(_l("First responses on time (%)")), PERCENT),
        Column(str(_l("Decisions on time (%)")), PERCENT),
    ]
    table = Table(key, title, columns, rows)
    if chart and rows:
        table.chart = charts.bars(
            title, tuple(r[0] for r in rows), ((filed, tuple(r[1] for r in rows)),), horizontal=True
        )
    return table


def root_cause_table(d: Dashboard, policies: PolicySet, lang: str) -> Table:
    rows = [[_label(policies, "root_causes", slug, lang), n] for slug, n in d.root_causes]
    title = str(_l("Root causes of decided grievances"))
    cases = str(_l("Decided grievances"))
    table = Table(
        "root_causes", title, [Column(str(_l("Root cause"))), Column(cases, COUNT)], rows,
        note=str(_l("Only grievances a reviewer has tagged with a root cause are counted.")),
    )  # fmt: skip
    if rows:
        table.chart = charts.bars(
            title, tuple(r[0] for r in rows), ((cases, tuple(r[1] for r in rows)),), horizontal=True
        )
    return table


def backlog_table(d: Dashboard) -> Table:
    rows = []
    for low, high, n in d.backlog:
        if high is None:
            label = str(_l("More than %(days)d days", days=low - 1))
        else:
            label = str(_l("%(low)d to %(high)d days", low=low, high=high))
        rows.append([label, n])
    columns = [Column(str(_l("Days since filing"))), Column(str(_l("Open grievances")), COUNT)]
    return Table(
        "backlog", str(_l("Open grievances now, by age")), columns, rows,
        note=str(_l("The backlog is counted today, whatever the period chosen.")),
    )  # fmt: skip


def _survey_rows(f: Figures) -> list[Any]:
    return [f.answers, f.outcome, f.process, f.fairness, f.recommend, f.nps]


def _survey_columns(first: str) -> list[Column]:
    return [
        Column(first),
        Column(str(_l("Answers")), COUNT),
        Column(str(_l("Outcome (1 to 5)")), HOURS),
        Column(str(_l("Handling (1 to 5)")), HOURS),
        Column(str(_l("Fairness (1 to 5)")), HOURS),
        Column(str(_l("Would recommend (0 to 10)")), HOURS),
        Column(str(_l("NPS")), COUNT),
    ]


def survey_tables(d: Dashboard, label_of: dict[str, Any]) -> list[Table]:
    """The survey's figures, each group shown from five answers (fewer are only counted)."""
    s = d.survey
    if s is None:
        return []
    note = str(
        _l(
            "Averages are shown from %(min)d answers; a group with fewer is only counted.",
            min=s.minimum,
        )
    )
    if s.filtered:
        note += " " + str(
            _l(
                "Answers are kept apart from their cases, so the way a grievance reached us and its priority do not filter them."
            )
        )
    t = s.total
    summary = [
        [str(_l("Answers")), t.answers],
        [str(_l("Satisfaction with the outcome (1 to 5)")), t.outcome],
        [str(_l("Satisfaction with how it was handled (1 to 5)")), t.process],
        [str(_l("Fairness (1 to 5)")), t.fairness],
        [str(_l("Would recommend (0 to 10)")), t.recommend],
        [str(_l("Net promoter score (-100 to 100)")), t.nps],
    ]
    found = [
        Table(
            "survey",
            str(_l("Survey after the decision")),
            [Column(str(_l("Measure"))), Column(str(_l("Value")), HOURS)],
            summary,
            note=note,
        )
    ]
    found.append(
        Table(
            "survey_categories",
            str(_l("Survey by kind of grievance")),
            _survey_columns(str(_l("Kind"))),
            [[label_of["category"](g.key), *_survey_rows(g.figures)] for g in s.by_category],
            note=note,
        )
    )
    if s.by_committee:
        found.append(
            Table(
                "survey_committees",
                str(_l("Survey by committee")),
                _survey_columns(str(_l("Committee"))),
                [[label_of["committee"](g.key), *_survey_rows(g.figures)] for g in s.by_committee],
                note=note,
            )
        )
    return found


def tables(d: Dashboard, policies: PolicySet, lang: str) -> list[Table]:
    """Every table of the dashboard, in the order the page shows them."""
    committees = {c.id: c for c in d.scope.committees}

    def committee_label(cid: int) -> str:
        c = committees.get(cid)
        if c is None:
            return str(cid)
        named = policies.committees.get(c.slug)
        return named.name.in_language(lang) if named is not None else c.name

    found = [
        summary(d),
        volume(d, lang),
        promises(d, lang),
        decision_times(d),
        _grouped(
            "categories", str(_l("By kind of grievance")), str(_l("Kind")), d.categories,
            lambda s: _label(policies, "categories", s, lang),
        ),
        root_cause_table(d, policies, lang),
        _grouped(
            "channels", str(_l("By the way it reached us")), str(_l("Received")), d.channels,
            lambda s: str(CHANNEL_LABELS.get(s, s)), chart=False,
        ),
        _grouped(
            "priorities", str(_l("By priority")), str(_l("Priority")), d.priorities,
            lambda s: _label(policies, "priorities", s, lang), chart=False,
        ),
    ]  # fmt: skip
    if len(d.scope.committees) > 1:
        found.append(
            _grouped(
                "committees",
                str(_l("By committee")),
                str(_l("Committee")),
                d.committees,
                committee_label,
                chart=False,
            )
        )
    found.append(backlog_table(d))
    labels = {
        "category": lambda s: _label(policies, "categories", s, lang),
        "committee": committee_label,
    }
    found.extend(survey_tables(d, labels))
    return found


def by_key(found: list[Table], key: str) -> Table | None:
    return next((t for t in found if t.key == key), None)
