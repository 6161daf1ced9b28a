"""Engine and session setup: one session per request, committed in one place."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

import psycopg
import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Execution option for connections that never write (SQLite then begins DEFERRED).
READ_ONLY = "portal_read_only"
# Execution option of the few statements every page runs whose plan cannot depend on the
# values bound (a lookup by a unique key, the audit chain's head): on PostgreSQL they are
# prepared once per connection, so the server stops planning them (see `make_engine`).
PREPARED = "portal_prepared"
# Session.info key of a read-only session: the factory of its short writer sessions.
WRITES_APART = "portal.writes_apart"
# Requests that only read: their session never holds a write lock (see `apart`).
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadOnlySession(RuntimeError):
    """A request that only reads tried to change data outside `apart`."""


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def insert_for(session: Session) -> Any:
    """The dialect's INSERT construct, which knows ON CONFLICT DO NOTHING (both backends)."""
    return insert_of(session.get_bind().dialect.name)


def insert_of(dialect: str) -> Any:
    """`insert_for` by the dialect's name."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    # Bound values never appear in exception messages or logs: they can be personal data.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No automatic server-side prepared statements: after five runs psycopg would prepare
    # any statement, and PostgreSQL may then pick a generic plan that ignores the bound
    # values (measured at 100,000 cases: a keyset batch went from 5 ms to 1 s as a
    # sequential scan). A threshold no statement reaches keeps that off while `PREPARED`
    # statements are still prepared: planning them was most of the server's time for them.
    kwargs.setdefault("connect_args", {}).setdefault("prepare_threshold", 2**31)
    engine = sa.create_engine(url, **kwargs)
    event.listen(engine, "do_execute", _execute_prepared)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", partial(_ping_if_doubtful, engine.dialect))
    return engine


# A connection idle in the pool longer than this is pinged however quiet its socket: a
# firewall or NAT that dropped it, or a server host gone without closing it, says nothing.
IDLE_PING_SECONDS = 30.0
_CHECKED_IN = "portal.checked_in"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_CHECKED_IN] = time.monotonic()


def _ping_if_doubtful(dialect: Any, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """SQLAlchemy's pre-ping, sent only when the connection is in doubt: its socket has
    something to read (a server that closed it, restarted or `pg_terminate_backend`, leaves
    it readable; one idle in the pool otherwise has nothing to say), or it sat in the pool
    longer than `IDLE_PING_SECONDS`. Every page view takes two connections, and a ping at
    each checkout was a round trip each.

    The dialect's ping leaves the connection as it found it (no transaction opened); a failed
    one invalidates the pool, as `pool_pre_ping`'s does: its other connections went with the
    same server."""
    since = record.info.get(_CHECKED_IN)  # None: opened just now
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        try:
            poller = select.poll()  # not select(): it refuses descriptors past 1023
            poller.register(dbapi_connection.fileno(), select.POLLIN)
            if not poller.poll(0):
                return
        except (OSError, ValueError, psycopg.Error):  # closed on this side: the ping tells
            pass
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as exc:  # whatever failed, this connection is done
        raise sa.exc.InvalidatePoolError() from exc


def _execute_prepared(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    """Run a `PREPARED` statement as a prepared one (True: done here); others as usual."""
    if not context.execution_options.get(PREPARED):
        return False
    cursor.execute(statement, parameters, prepare=True)
    return True


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; take it over as the
    # SQLAlchemy SQLite docs describe, and turn on the pragmas we rely on.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue on
        # busy_timeout instead of failing with "database is locked" on upgrade.
        # A connection marked read-only (a page that only reads, start-up checks)
        # takes no lock until it reads, and never waits behind a writer.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        reading: dict[str, Any] = {READ_ONLY: True}
        if self.engine.dialect.name == "postgresql":
            # Under READ COMMITTED each statement sees its own snapshot, in a transaction or
            # not, and a page that only reads locks nothing: so it sends no BEGIN, COMMIT or
            # ROLLBACK (four round trips of a page view's dozen statements).
            reading["isolation_level"] = "AUTOCOMMIT"
        self.read_engine = self.engine.execution_options(**reading)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    def new_session(self, read_only: bool = False) -> Session:
        """A session; a read-only one never takes a write lock (SQLite begins DEFERRED),
        and what it must write (the audit entry of a read) goes through `apart`."""
        if not read_only:
            return self.sessionmaker()
        if self.sessionmaker.kw.get("bind") is self.engine:
            session = self.sessionmaker(bind=self.read_engine)
        else:
            # Bound to a connection inside an outer transaction (the tests): join it
            # without a savepoint, so a write apart (its own savepoint) is not undone
            # when the reader closes.
            session = self.sessionmaker(join_transaction_mode="rollback_only")
        session.info[WRITES_APART] = self.sessionmaker
        event.listen(session, "before_flush", _refuse_writes)
        return session


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySession("a request that only reads changed data outside db.apart()")


# A read's own write commits without waiting for the disk: see `apart`.
_UNSYNCED = "SET LOCAL synchronous_commit TO OFF"


def on_disk(session: Session) -> None:
    """Commit `session`, and on PostgreSQL with waiting for the disk: a transaction given an
    id commits only once the log is flushed through it, and so through every commit before
    it, those of `apart` included. For what must not name entries a crash could still lose
    (an audit anchor printed to be kept off the host)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_current_xact_id()))
    session.commit()


@contextmanager
def apart(session: Session) -> Iterator[Session | sa.Connection]:
    """Where a plain write (statements, no unit of work) of `session` happens: in it, or,
    when it only reads, in a short transaction of its own on a connection of its own,
    committed on leaving the block. On PostgreSQL that commit does not wait for the disk
    (`synchronous_commit` off for it alone): a read's audit entry and a session's last-seen
    time are all it writes, and waiting for the flush left the worker idle for a fifth of
    every page view. PostgreSQL keeps such commits in order and flushes them within a fraction
    of a second; a crash of the database in that moment loses the newest of them, never a
    change to a case (those commit as always), and the chain stays whole. An audit anchor
    waits for them to be on disk before it is shown (`on_disk`).

    On SQLite a reader that later writes must upgrade its lock, which fails at once
    when another writer committed meanwhile; and an IMMEDIATE reader would queue every
    page view behind every other. So reads run unlocked, and their few writes (the
    audit entry of the read, a session's last-seen time) take the lock only briefly.
    A connection rather than a session: every page view comes here."""
    factory = session.info.get(WRITES_APART)
    if factory is None:
        yield session
        return
    bind = factory.kw["bind"]
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            if bind.dialect.name == "postgresql":
                connection.exec_driver_sql(_UNSYNCED)
            yield connection
    else:  # a connection inside an outer transaction (the tests): a savepoint of it
        with bind.begin_nested():
            yield bind


@contextmanager
def at_once(session: Session) -> Iterator[Session | sa.Connection]:
    """Where a write goes that every request of its kind may make to the same row (the
    year's case counter, a new policy version's snapshot), so that its lock is not held until
    the request commits: on PostgreSQL on a connection of its own in autocommit, each
    statement its own transaction (each of these writes is one statement, and no BEGIN and
    COMMIT are two round trips fewer). Held to the end, such a lock lets one filing at a
    time through, on every host.

    On SQLite the request's transaction already holds the database's one write lock (a
    second connection would wait for it), and a session bound to a connection (the tests)
    has no other to use: there the write happens in the session."""
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        with bind.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")
    else:
        yield session


def init_app(app: Flask, url: str) -> Database:
    database = Database(url)
    app.extensions["portal.db"] = database

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()

    return database


def database(app: Flask) -> Database:
    return app.extensions["portal.db"]


def session() -> Session:
    """The session of the current request (or CLI command)."""
    from flask import current_app

    if "db_session" not in g:
        read_only = has_request_context() and request.method in READING_METHODS
        g.db_session = database(current_app).new_session(read_only)
    return g.db_session


def commit() -> None:
    """The single commit point of a request."""
    session().commit()


def rollback() -> None:
    """Undo the current request's changes. A request that only reads has none (what
    it wrote went apart, committed), and its session may be joined to an outer
    transaction it must not end."""
    current = session()
    if WRITES_APART not in current.info:
        current.rollback()
