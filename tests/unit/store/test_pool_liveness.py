"""A pooled PostgreSQL connection is checked only when its socket says something happened.

The server closing a connection (a restart, `pg_terminate_backend`, a proxy gone) leaves its
socket readable: that connection is pinged, found dead, and replaced before anyone uses it.
A connection idle in the pool with nothing to read is handed out as it is, without the
round trip of a ping (portal/db.py, `_ping_if_doubtful`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from portal.db import make_engine


@pytest.fixture
def engines(database_url: str) -> Iterator[tuple[sa.Engine, sa.Engine]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose")
    engine, admin = make_engine(database_url), make_engine(database_url)
    try:
        yield engine, admin
    finally:
        engine.dispose()
        admin.dispose()


def _backend(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _last_query(admin: sa.Engine, pid: int) -> str:
    with admin.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT query FROM pg_stat_activity WHERE pid = %(pid)s", {"pid": pid}
        ).scalar_one()


def test_an_idle_pooled_connection_is_handed_out_without_a_ping(engines) -> None:  # type: ignore[no-untyped-def]
    engine, admin = engines
    pid = _backend(engine)
    before = _last_query(admin, pid)  # the rollback that returned it to the pool

    with engine.connect() as conn:
        # Checked out again: the same backend, and nothing was sent to it on the way.
        assert _last_query(admin, pid) == before
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() == pid


def test_a_connection_the_server_closed_is_replaced_before_use(engines) -> None:  # type: ignore[no-untyped-def]
    engine, admin = engines
    pid = _backend(engine)
    with admin.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one()
    time.sleep(0.2)  # the server's goodbye reaches the pooled connection's socket

    with engine.connect() as conn:
        fresh = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    assert fresh != pid
