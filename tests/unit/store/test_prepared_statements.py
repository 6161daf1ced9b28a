"""Which statements PostgreSQL keeps prepared: the marked ones, and never any other.

A statement PostgreSQL prepares gets a generic plan after five runs, one that ignores the
values bound. For a lookup by a unique key that plan is the only one there is, and not
planning it again is most of the server's time for it (portal/db.py, PREPARED); for a
keyset batch a generic plan was a sequential scan, so nothing else may be prepared.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.db import PREPARED, make_engine
from portal.models.audit import AuditHead
from portal.services import accounts, audit, casefile, cases


def _prepared(conn: sa.Connection) -> list[sa.Row]:
    return conn.exec_driver_sql("SELECT statement, generic_plans FROM pg_prepared_statements").all()


def test_marked_statements_are_prepared_and_run_on_a_generic_plan(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite plans no statement on a server")
    engine = make_engine(database_url)
    lane = AuditHead.id == sa.bindparam("lane")
    marked = sa.select(AuditHead.last_seq).where(lane).execution_options(**{PREPARED: True})
    plain = sa.select(AuditHead.last_hash).where(lane)
    try:
        with engine.connect() as conn:
            for _ in range(8):
                conn.execute(marked, {"lane": 1}).all()
                conn.execute(plain, {"lane": 1}).all()
            found = _prepared(conn)
    finally:
        engine.dispose()
    assert len(found) == 1, found
    assert "last_seq" in found[0].statement and found[0].generic_plans > 0


def test_the_hot_statements_are_marked():
    """Every page runs the session query, every audited one the chain's statements, and
    every case page its case's lookup by reference."""
    looked_up = [q(locking) for q in (cases._member_case_query, casefile._committee_case_query)
                 for locking in (False, True)]  # fmt: skip
    for statement in (accounts._SESSION_QUERY, *audit._chain_statements(), *looked_up):
        assert statement.get_execution_options().get(PREPARED), statement
    added, _move = audit._append_statements(True)
    assert added.get_execution_options().get(PREPARED)
