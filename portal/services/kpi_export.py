"""CSV exports: any dashboard table, and the case list (metadata only), with the filters applied.

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` as a formula; every text cell
that does (a committee named "=HYPERLINK(...)" by a careless administrator, say) is written with
a leading apostrophe, so it is shown, never run. Every export is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.domain import workflow
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.i18n import _l
from portal.models.committees import Committee
from portal.models.grievances import Grievance
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import audit, conflicts
from portal.services.intake import CHANNEL_LABELS
from portal.services.kpi_tables import Table
from portal.services.kpis import Filters, check_filters, scope_for, where_for

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


def safe_cell(value: Any) -> str:
    """One cell as text a spreadsheet shows and never evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV, line by line (UTF-8 with a byte-order mark, so spreadsheets read Korean)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(v) for v in row])
        yield buffer.getvalue()


def table_csv(
    session: Session, actor: User, table: Table, filters: Filters, now: datetime | None = None
) -> Iterator[str]:
    """A dashboard table as CSV; the export is recorded (which table, which period)."""
    scope_for(session, actor)
    audit.record(
        session,
        actor,
        "kpis.exported",
        "dashboard",
        table.key,
        {"from": filters.start.isoformat(), "to": filters.end.isoformat()},
        now=now,
    )
    return csv_lines([c.label for c in table.columns], table.rows)


@dataclass(frozen=True)
class CaseList:
    header: list[str]
    rows: Iterator[list[Any]]


def case_list(
    session: Session,
    actor: User,
    filters: Filters,
    policies: PolicySet,
    lang: str,
    now: datetime | None = None,
) -> CaseList:
    """The cases behind the dashboard, one line each: reference, dates, status, kind,
    committee, priority, channel, level and root cause. Nothing encrypted is read.

    The committee's chairs only: administrators and auditors see aggregates, and a chair
    never sees a case they are conflicted on (as in the queue)."""
    scope = scope_for(session, actor)
    if scope.oversight:
        raise PermissionDenied(
            _l("Administrators and auditors see the figures, not the list of cases.")
        )
    filters = check_filters(filters, scope, policies)
    where = where_for(scope, filters)
    g = Grievance
    clauses = [
        g.committee_id.in_(where.committee_ids),
        g.filed_on >= filters.start,
        g.filed_on <= filters.end,
        sa.not_(conflicts.excluded_clause(actor)),
    ]
    for name in ("category", "channel", "priority"):
        if getattr(filters, name):
            clauses.append(getattr(g, name) == getattr(filters, name))
    total = session.scalar(sa.select(sa.func.count()).select_from(g).where(*clauses)) or 0
    audit.record(
        session,
        actor,
        "cases.exported",
        "dashboard",
        "cases",
        {"from": filters.start.isoformat(), "to": filters.end.isoformat(), "cases": total},
        now=now,
    )
    names = {cid: slug for cid, slug in session.execute(sa.select(Committee.id, Committee.slug))}
    stmt = (
        sa.select(
            g.reference,
            g.submitted_at,
            g.first_response_at,
            g.resolved_at,
            g.closed_at,
            g.status,
            g.category,
            g.committee_id,
            g.priority,
            g.channel,
            g.escalation_level,
            g.root_cause,
        )
        .where(*clauses)
        .order_by(g.submitted_at, g.reference)
        .execution_options(yield_per=BATCH)
    )

    def label(kind: str, slug: str | None) -> str:
        found = getattr(policies, kind).get(slug) if slug else None
        return found.label.in_language(lang) if found is not None else (slug or "")

    def committee(cid: int) -> str:
        found = policies.committees.get(names.get(cid, ""))
        return found.name.in_language(lang) if found is not None else names.get(cid, "")

    def rows() -> Iterator[list[Any]]:
        for r in session.execute(stmt):
            yield [
                r.reference, r.submitted_at, r.first_response_at, r.resolved_at, r.closed_at,
                str(workflow.info(r.status).label), label("categories", r.category),
                committee(r.committee_id), label("priorities", r.priority),
                str(CHANNEL_LABELS.get(r.channel, r.channel)), r.escalation_level,
                label("root_causes", r.root_cause),
            ]  # fmt: skip

    header = [
        str(_l("Reference")), str(_l("Filed")), str(_l("First response")), str(_l("Decided")),
        str(_l("Closed")), str(_l("Status")), str(_l("Kind")), str(_l("Committee")),
        str(_l("Priority")), str(_l("Received")), str(_l("Escalation level")),
        str(_l("Root cause")),
    ]  # fmt: skip
    return CaseList(header, rows())


def check_table(key: str, found: list[Table]) -> Table:
    table = next((t for t in found if t.key == key), None)
    if table is None:
        raise InvalidInput(_l("There is no such table on the dashboard."), "table")
    return table
