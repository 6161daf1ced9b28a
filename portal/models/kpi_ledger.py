"""The daily ledger the dashboard reads: counts per day of filing and kind of case.

At a million grievances, counting and ranking raw case rows takes seconds (docs/decisions.md,
"The KPI dashboard"); summing a few thousand ledger rows takes milliseconds. A case's share of
the ledger is a pure function of its metadata (`share`), and every flush that inserts,
changes or deletes a grievance moves the difference between its share before and after, in
the same transaction (summed, and written just before it commits, so the hot rows are locked
only at the end): no service has to remember it, and a rolled-back change rolls its counts
back with it. `services/kpi_rebuild.py` recomputes the ledger from the cases (after
an upgrade, or a bulk import that wrote rows without the ORM).

Rows are keyed by (day filed, committee, category, channel, priority); each holds the cases
filed that day as they stand now (open, decided, withdrawn, escalated, appealed, repeats,
promises kept and missed) and histograms of working hours to the first response and to the
first decision (domain/measures.py). Root causes have a ledger of their own, one row per
cause tagged.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.db import Base, insert_of
from portal.domain.measures import BINS, bin_of
from portal.models.grievances import Grievance

KEY = ("day", "committee_id", "category", "channel", "priority")
COUNTS = (
    "filed",
    "open",
    "resolved",
    "withdrawn",
    "escalated",
    "appealed",
    "repeats",
    "fr_on_time",
    "fr_late",
    "res_on_time",
    "res_late",
)
FIRST_RESPONSE_BINS = tuple(f"fr_{i:02d}" for i in range(BINS))
RESOLUTION_BINS = tuple(f"res_{i:02d}" for i in range(BINS))
COLUMNS = COUNTS + FIRST_RESPONSE_BINS + RESOLUTION_BINS

# The attributes a case's share is made of: only a change to one of them moves the ledger.
FIELDS = (
    "filed_on",
    "committee_id",
    "category",
    "channel",
    "priority",
    "status",
    "is_open",
    "resolved_at",
    "escalated_at",
    "appealed_at",
    "is_repeat",
    "first_response_at",
    "first_response_breached_at",
    "first_response_met",
    "first_response_hours",
    "resolution_breached_at",
    "resolution_met",
    "resolution_hours",
    "root_cause",
)


def _key_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("committee_id", sa.ForeignKey("committees.id"), primary_key=True),
        sa.Column("category", sa.String(60), primary_key=True),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("priority", sa.String(20), primary_key=True),
    ]


def _counts_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        Base.metadata,
        *_key_columns(),
        # For charts by week (Monday) and by month (the 1st), grouped without date functions.
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in COLUMNS),
    )


def _causes_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        Base.metadata,
        *_key_columns(),
        sa.Column("root_cause", sa.String(60), primary_key=True),
        sa.Column("cases", sa.Integer, nullable=False, server_default="0"),
    )


kpi_days = _counts_table("kpi_days")
# The same counts rolled up by month: `day` is the month's 1st (and so are `week` and
# `month`). A dashboard over a year sums a dozen rows per kind of case instead of 365
# (services/kpis.py reads whole months here and the days at either end from kpi_days).
kpi_months = _counts_table("kpi_months")

# The backlog: open cases by day filed, whatever the period (most days have none open).
sa.Index(
    "ix_kpi_days_open",
    kpi_days.c.committee_id,
    kpi_days.c.day,
    sqlite_where=kpi_days.c.open > 0,
    postgresql_where=kpi_days.c.open > 0,
)

kpi_root_causes = _causes_table("kpi_root_causes")
kpi_month_causes = _causes_table("kpi_month_causes")

Key = tuple[date, int, str, str, str]


@dataclass(frozen=True)
class Share:
    """One case's part of the ledger."""

    key: Key
    counts: tuple[tuple[str, int], ...]
    root_cause: str | None = None


def share(get: Callable[[str], Any]) -> Share | None:
    """The case's share, reading its attributes through `get` (None before it is complete)."""
    key = tuple(get(name) for name in ("filed_on", "committee_id", "category", "channel"))
    priority = get("priority")
    if any(v is None for v in key) or priority is None:
        return None
    counts: dict[str, int] = {"filed": 1}
    late_first = get("first_response_met") is False or (
        get("first_response_at") is None and get("first_response_breached_at") is not None
    )
    late_decision = get("resolution_met") is False or (
        get("resolution_met") is None and get("resolution_breached_at") is not None
    )
    flags = {
        "open": bool(get("is_open")),
        "resolved": get("resolved_at") is not None,
        "withdrawn": get("status") == "withdrawn",
        "escalated": get("escalated_at") is not None,
        "appealed": get("appealed_at") is not None,
        "repeats": bool(get("is_repeat")),
        "fr_on_time": get("first_response_met") is True,
        "fr_late": late_first,
        "res_on_time": get("resolution_met") is True,
        "res_late": late_decision,
    }
    counts.update({name: 1 for name, on in flags.items() if on})
    if get("first_response_hours") is not None:
        counts[FIRST_RESPONSE_BINS[bin_of(get("first_response_hours"))]] = 1
    if get("resolution_hours") is not None:
        counts[RESOLUTION_BINS[bin_of(get("resolution_hours"))]] = 1
    cause = get("root_cause") if flags["resolved"] else None
    return Share((*key, priority), tuple(sorted(counts.items())), cause)  # type: ignore[arg-type]


@dataclass
class Moves:
    """Ledger differences gathered over one transaction's flushes (or one rebuild)."""

    days: dict[Key, Counter[str]] = field(default_factory=dict)
    causes: Counter[tuple[Key, str]] = field(default_factory=Counter)

    def add(self, found: Share | None, sign: int) -> None:
        if found is None:
            return
        counts = self.days.setdefault(found.key, Counter())
        for name, n in found.counts:
            counts[name] += sign * n
        if found.root_cause:
            self.causes[(found.key, found.root_cause)] += sign

    def by_month(self) -> Moves:
        """The same differences, each day's moved to the 1st of its month."""
        months = Moves()
        for key, counts in self.days.items():
            months.days.setdefault(_month_key(key), Counter()).update(counts)
        for (key, cause), n in self.causes.items():
            months.causes[(_month_key(key), cause)] += n
        return months


def _month_key(key: Key) -> Key:
    return (key[0].replace(day=1), *key[1:])  # type: ignore[return-value]


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def day_values(
    key: Key, counts: Counter[str], monthly: bool = False, names: Iterable[str] = COLUMNS
) -> dict[str, Any]:
    """A ledger row's values: its key, its week and month, and the counts `names`."""
    return {
        **dict(zip(KEY, key, strict=True)),
        "week": key[0] if monthly else _week(key[0]),
        "month": key[0].replace(day=1),
        **{name: counts.get(name, 0) for name in names},
    }


# Each ledger's counts table and causes table, and whether it is the monthly one.
LEDGERS = ((kpi_days, kpi_root_causes, False), (kpi_months, kpi_month_causes, True))


def ledger_rows(moves: Moves) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """Rows of every ledger table for a ledger written whole (a rebuild, the benchmark)."""
    found = []
    for counts_table, causes_table, monthly in LEDGERS:
        rolled = moves.by_month() if monthly else moves
        days = [day_values(k, c, monthly) for k, c in sorted(rolled.days.items())]
        causes = [
            {**dict(zip(KEY, key, strict=True)), "root_cause": cause, "cases": n}
            for (key, cause), n in sorted(rolled.causes.items())
            if n
        ]
        found += [(counts_table, days), (causes_table, causes)]
    return found


def apply(session: Session, moves: Moves) -> None:
    """Add `moves` to the daily and the monthly ledger, creating rows as needed; rows in
    key order, so two transactions touching the same rows lock them in the same order."""
    dialect = session.get_bind().dialect.name
    for counts_table, causes_table, monthly in LEDGERS:
        rolled = moves.by_month() if monthly else moves
        for key in sorted(rolled.days):
            counts = Counter({k: v for k, v in rolled.days[key].items() if v})
            if counts:
                # Only the counts that move: a new row's others start at their default 0.
                # All 91 would make a statement psycopg parses anew every time (over 50
                # parameters) and PostgreSQL a wider one to parse.
                names = tuple(sorted(counts))
                stmt = _adding(dialect, counts_table, names, tuple(KEY))
                session.execute(stmt, day_values(key, counts, monthly, names))
        for (key, cause), n in sorted(rolled.causes.items()):
            if n:
                stmt = _adding(dialect, causes_table, ("cases",), (*KEY, "root_cause"))
                session.execute(
                    stmt, {**dict(zip(KEY, key, strict=True)), "root_cause": cause, "cases": n}
                )


@cache
def _adding(
    dialect: str, table: sa.Table, names: tuple[str, ...], keys: tuple[str, ...]
) -> sa.Insert:
    """The upsert adding to columns `names` of the row at `keys`, its values bound when run:
    built once (every filing and move comes here, and `excluded` copies every column)."""
    stmt = insert_of(dialect)(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + stmt.excluded[name] for name in names},
    )


def _before(case: Grievance) -> Callable[[str], Any]:
    """The case's attributes as they were at the last flush (or load)."""
    state = sa.inspect(case)

    def get(name: str) -> Any:
        history = state.attrs[name].history
        if history.deleted:
            return history.deleted[0]
        if history.added:
            return None  # set for the first time: it was empty
        return getattr(case, name)

    return get


def _now(case: Grievance) -> Callable[[str], Any]:
    return lambda name: getattr(case, name)


def _cases(objects: Iterable[object]) -> list[Grievance]:
    return [o for o in objects if isinstance(o, Grievance)]


# Session.info keys: the moves of this transaction's flushes, written when it commits; and
# the pending moves as each savepoint began, to go back to if it rolls back.
PENDING = "portal.ledger_moves"
SAVEPOINTS = "portal.ledger_savepoints"


@event.listens_for(Session, "after_flush")
def _keep_ledger(session: Session, _context: Any) -> None:
    moves = session.info.get(PENDING) or Moves()
    for case in _cases(session.new):
        moves.add(share(_now(case)), +1)
    for case in _cases(session.dirty):
        before, after = share(_before(case)), share(_now(case))
        if before != after:
            moves.add(before, -1)
            moves.add(after, +1)
    for case in _cases(session.deleted):
        moves.add(share(_before(case)), -1)
    if moves.days or moves.causes:
        session.info[PENDING] = moves


@event.listens_for(Session, "before_commit")
def _write_ledger(session: Session) -> None:
    """The transaction's moves, summed, as its last statements: a ledger row is the same row
    for every filing of a day and kind, and its lock is held from the upsert to the commit."""
    session.flush()  # before_commit comes before the commit's own flush
    moves = session.info.pop(PENDING, None)
    if moves is not None:
        with session.no_autoflush:
            apply(session, moves)


@event.listens_for(Session, "after_transaction_end")
def _forget_ledger(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # after a rollback (a commit wrote and took them)
        session.info.pop(PENDING, None)
        session.info.pop(SAVEPOINTS, None)


@event.listens_for(Session, "after_transaction_create")
def _remember_ledger(session: Session, transaction: Any) -> None:
    if transaction.nested:
        kept = session.info.get(PENDING)
        session.info.setdefault(SAVEPOINTS, {})[id(transaction)] = copy.deepcopy(kept)


@event.listens_for(Session, "after_soft_rollback")
def _restore_ledger(session: Session, previous: Any) -> None:
    if previous.nested and id(previous) in session.info.get(SAVEPOINTS, {}):
        kept = session.info[SAVEPOINTS].pop(id(previous))
        if kept is None:
            session.info.pop(PENDING, None)
        else:
            session.info[PENDING] = kept
