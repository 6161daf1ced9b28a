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


def _page_statement(session: Any, run: Any) -> tuple[str, Any]:
    seen: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if "LIMIT" in statement and "ORDER BY" in statement and "FROM grievances" in statement:
            seen.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert seen, "the queue ran no page query"
    return seen[0]


def _plan(session: Any, statement: str, params: Any) -> str:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, params).all()
        return "\n".join(r[0] for r in rows)
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
    return "\n".join(str(r[-1]) for r in rows)


def test_the_queue_is_read_in_index_order(app, session):
    committees = make_policy_committees(session, app.extensions["portal.policies"])
    reviewer = make_user(session, Role.REVIEWER, name="Rita Reviewer")
    seat(session, committees["member-services"], reviewer)
    member = make_user(session, Role.MEMBER, name="Mia Member")
    for i in range(3):
        make_case(app, session, member, subject=f"Case {i}")
    session.flush()

    statement, params = _page_statement(
        session, lambda: queue.queue(session, reviewer, queue.Filters())
    )
    plan = _plan(session, statement, params)

    assert "ix_grievances_committee_open_pending" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
