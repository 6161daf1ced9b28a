"""The database reads the queue in index order: a page of 25 never sorts every open case.

Tables here are small, so PostgreSQL is told to avoid sorting and scanning where it can;
a plan that still sorts means no index serves the queue's order.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from portal.domain.roles import Role
from portal.services import queue
from tests.factories import make_case, make_policy_committees, make_user, seat


def _page_statement(
    session: Any, run: Any, marks: tuple[str, ...] = ("LIMIT", "ORDER BY")
) -> tuple[str, Any]:
    seen: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if all(m in statement for m in marks) and "FROM grievances" in statement:
            seen.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert seen, "the queue ran no page query"
    return seen[0]


def _plan(session: Any, statement: str, params: Any, *, table_reads: bool = True) -> str:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        if not table_reads:  # then only an index that holds every column read can serve
            conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, params).all()
        return "\n".join(r[0] for r in rows)
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
    return "\n".join(str(r[-1]) for r in rows)


def _queue_with_cases(app: Any, session: Any) -> Any:
    committees = make_policy_committees(session, app.extensions["portal.policies"])
    reviewer = make_user(session, Role.REVIEWER, name="Rita Reviewer")
    seat(session, committees["member-services"], reviewer)
    member = make_user(session, Role.MEMBER, name="Mia Member")
    for i in range(3):
        make_case(app, session, member, subject=f"Case {i}")
    session.flush()
    return reviewer


def test_the_queue_is_read_in_index_order(app, session):
    reviewer = _queue_with_cases(app, session)
    statement, params = _page_statement(
        session, lambda: queue.queue(session, reviewer, queue.Filters())
    )
    plan = _plan(session, statement, params)

    assert "ix_grievances_committee_open_pending" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_the_queue_counts_its_deadline_states_from_the_index_alone(app, session):
    # Every queue view counts the committee's open cases by deadline state; read from the
    # table, that is a row per open case (1,849 of one committee at 100,000 grievances).
    reviewer = _queue_with_cases(app, session)
    statement, params = _page_statement(
        session, lambda: queue.queue(session, reviewer, queue.Filters()), marks=("GROUP BY",)
    )
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no planner settings to say the tables are large; naming the index
        # fails the statement outright if it cannot serve it.
        statement = statement.replace(
            "FROM grievances", "FROM grievances INDEXED BY ix_grievances_committee_open_pending", 1
        )
    plan = _plan(session, statement, params, table_reads=False)

    if session.get_bind().dialect.name == "postgresql":
        assert "Index Only Scan using ix_grievances_committee_open_pending" in plan, plan
    else:
        assert "COVERING INDEX ix_grievances_committee_open_pending" in plan, plan
