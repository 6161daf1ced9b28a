"""A pooled PostgreSQL connection is checked only when something says it may be gone.

The server closing a connection (a restart, `pg_terminate_backend`, a proxy gone) leaves its
socket readable: that connection is pinged, found dead, and replaced before anyone uses it.
One idle in the pool longer than `IDLE_PING_SECONDS` is pinged too (a dropped connection
nobody closed says nothing). Otherwise a connection is handed out as it is, without the
round trip of a ping (portal/db.py, `_ping_if_doubtful`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from portal import db
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


def _backend(engine: sa.Engine, first: str | None = None) -> int:
    with engine.connect() as conn:
        if first:
            conn.exec_driver_sql(first)
            conn.commit()
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
    deadline = time.monotonic() + 5
    while _alive(admin, pid) and time.monotonic() < deadline:
        time.sleep(0.02)

    with engine.connect() as conn:
        fresh = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    assert fresh != pid


def _alive(admin: sa.Engine, pid: int) -> bool:
    with admin.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = %(pid)s", {"pid": pid}
        )
        return bool(found.scalar_one())


def test_a_live_connection_with_something_to_say_is_pinged_and_handed_out_ready(engines) -> None:  # type: ignore[no-untyped-def]
    """A notice waiting on the socket makes the connection doubtful, but it is alive: the
    ping keeps it, and leaves it outside any transaction (so a page may still switch it to
    autocommit, as every read does)."""
    engine, admin = engines
    pid = _backend(engine, first="LISTEN portal_pool_test")
    before = _last_query(admin, pid)
    with admin.connect() as conn:
        conn.exec_driver_sql("NOTIFY portal_pool_test")
        conn.commit()
    time.sleep(0.2)  # on loopback the notice arrives within a millisecond

    with engine.connect() as conn:
        assert _last_query(admin, pid) != before  # pinged
        conn.execution_options(isolation_level="AUTOCOMMIT")
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() == pid


def test_a_connection_idle_for_long_is_pinged(engines, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine, admin = engines
    pid = _backend(engine)
    before = _last_query(admin, pid)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)

    with engine.connect() as conn:
        assert _last_query(admin, pid) != before  # the ping reached its backend
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() == pid
