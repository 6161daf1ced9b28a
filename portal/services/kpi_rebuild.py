"""Recompute the dashboard's measures and daily ledger from the cases' metadata.

The ledger follows every ORM flush (models/kpi_ledger.py). What it cannot follow: cases that
existed before it (the migration adds the columns, not the working hours, which need the
calendar), and rows written in bulk without the ORM (the bench's seeder). `flask kpis
rebuild` fills in what each case lacks (the day filed in the association's time zone, the
working hours, the repeat marks) and writes the ledger anew from the same `share` function
the flushes use. It reads plain metadata only: nothing is decrypted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.domain import sla
from portal.domain.measures import REPEAT_WINDOW, hours
from portal.models.grievances import Grievance
from portal.models.kpi_ledger import (
    FIELDS,
    PENDING,
    Moves,
    kpi_days,
    kpi_root_causes,
    ledger_rows,
    share,
)
from portal.policies.types import Calendar

BATCH = 5000


@dataclass(frozen=True)
class Rebuilt:
    cases: int
    measured: int  # cases whose measures were filled in or corrected
    rows: int  # ledger rows written

    def line(self) -> str:
        return (
            f"{self.cases} cases; measures filled in for {self.measured};"
            f" {self.rows} ledger rows written"
        )


def behind(session: Session) -> bool:
    """Whether the ledger counts fewer or more cases than there are."""
    cases = session.scalar(sa.select(sa.func.count()).select_from(Grievance)) or 0
    counted = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(kpi_days.c.filed), 0))) or 0
    return cases != counted


def _rows(session: Session, *columns: Any, order: tuple[Any, ...] = ()) -> Iterator[Any]:
    stmt = sa.select(*columns)
    if order:
        stmt = stmt.order_by(*order)
    yield from session.execute(stmt.execution_options(yield_per=BATCH))


def _measure(row: Any, calendar: Calendar) -> dict[str, Any]:
    """What the case lacks (kpi_marks.filed and settle, for a row of plain values)."""
    found: dict[str, Any] = {}
    day = row.submitted_at.astimezone(calendar.time_zone).date()
    if row.filed_on != day:
        found["filed_on"] = day
    if row.first_response_at is not None and row.first_response_hours is None:
        found["first_response_hours"] = hours(
            sla.working_time_between(row.submitted_at, row.first_response_at, calendar)
        )
        found["first_response_met"] = row.first_response_at <= row.first_response_due_at
    if row.resolved_at is not None and row.resolution_hours is None:
        worked = hours(sla.working_time_between(row.submitted_at, row.resolved_at, calendar))
        found["resolution_hours"] = max(worked - row.paused_seconds / 3600, 0.0)
        found["resolution_met"] = row.resolved_at <= row.resolution_due_at
    return found


def _repeats(session: Session) -> dict[Any, bool]:
    """Each case's repeat mark, in one ordered pass over (member, kind, filed)."""
    marks: dict[Any, bool] = {}
    last: tuple[Any, Any, Any] | None = None
    g = Grievance
    for row in _rows(
        session,
        g.id,
        g.member_digest,
        g.category,
        g.submitted_at,
        g.is_repeat,
        order=(g.member_digest, g.category, g.submitted_at),
    ):
        repeat = (
            last is not None
            and (last[0], last[1]) == (bytes(row.member_digest), row.category)
            and row.submitted_at - last[2] <= REPEAT_WINDOW
        )
        if repeat != row.is_repeat:
            marks[row.id] = repeat
        last = (bytes(row.member_digest), row.category, row.submitted_at)
    return marks


def _update(session: Session, changes: list[dict[str, Any]]) -> None:
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        names = tuple(sorted(k for k in change if k != "case_id"))
        by_columns.setdefault(names, []).append(change)
    table = Grievance.__table__
    for names, rows in by_columns.items():
        stmt = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("case_id"))
            .values({n: sa.bindparam(n) for n in names})
        )
        session.connection().execute(stmt, rows)


def rebuild(session: Session, calendar: Calendar) -> Rebuilt:
    """Fill in every case's measures and write the ledger anew (flushes; the caller commits).

    Core statements, not ORM objects: a million cases in a few minutes, and the ledger is
    written once at the end rather than moved case by case."""
    session.flush()
    session.info.pop(PENDING, None)  # counted below with every other case
    g = Grievance
    changes: dict[Any, dict[str, Any]] = {}
    cases = 0
    for row in _rows(
        session,
        g.id,
        g.submitted_at,
        g.filed_on,
        g.first_response_at,
        g.first_response_due_at,
        g.first_response_hours,
        g.resolved_at,
        g.resolution_due_at,
        g.resolution_hours,
        g.paused_seconds,
    ):
        cases += 1
        found = _measure(row, calendar)
        if found:
            changes[row.id] = found
    for case_id, repeat in _repeats(session).items():
        changes.setdefault(case_id, {})["is_repeat"] = repeat
    _update(session, [{"case_id": k, **v} for k, v in changes.items()])

    moves = Moves()
    columns = [getattr(g, name) for name in FIELDS]
    for row in _rows(session, *columns):
        moves.add(share(row._mapping.__getitem__), +1)
    connection = session.connection()
    written = 0
    for table, rows in ledger_rows(moves):
        connection.execute(sa.delete(table))
        for start in range(0, len(rows), BATCH):
            connection.execute(sa.insert(table), rows[start : start + BATCH])
        written += len(rows) if table in (kpi_days, kpi_root_causes) else 0
    return Rebuilt(cases, len(changes), written)
