"""A page that only reads takes no write lock: readers never queue behind each other or
block a writer, and the audit entry of the read still lands, on its own and at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from portal.db import Database, ReadOnlySession, apart, on_disk
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.users import User
from portal.security import keys
from portal.services import audit, audit_verify
from tests.conftest import migrate
from tests.factories import make_user


@pytest.fixture
def database(app, empty_database_url: str) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """A database of its own (a file, or a new PostgreSQL database), not the test's
    rolled-back connection: locks only show between real connections."""
    migrate(empty_database_url)
    db = Database(empty_database_url)
    with db.new_session() as s:
        audit.create_genesis(s, keys.current().index_root)
        make_user(s, Role.REVIEWER, email="reader@example.org")
        s.commit()
    yield db
    db.engine.dispose()


def reader(db: Database) -> User:
    with db.new_session() as s:
        return s.scalars(sa.select(User)).one()


def entries(db: Database) -> list[str]:
    with db.new_session() as s:
        return list(s.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_read_only_session_refuses_to_write_outside_apart(database):
    with database.new_session(read_only=True) as s:
        user = s.scalars(sa.select(User)).one()
        user.full_name = "Changed while only reading"
        with pytest.raises(ReadOnlySession):
            s.flush()


def test_a_writer_does_not_wait_for_a_page_that_is_still_reading(database):
    with database.new_session(read_only=True) as page:
        page.scalars(sa.select(User)).all()  # the page has begun reading
        finished = threading.Event()

        def write() -> None:
            with database.new_session() as s:
                make_user(s, email="writer@example.org")
                s.commit()
            finished.set()

        started = time.monotonic()
        threading.Thread(target=write).start()
        # With IMMEDIATE readers this writer would wait out the busy timeout (30 s).
        assert finished.wait(10), "the writer waited for the reading page"
        assert time.monotonic() - started < 5
        assert page.scalars(sa.select(User)).all()  # the page reads on undisturbed


def test_the_audit_entry_of_a_read_lands_even_after_another_write(database):
    """A reader whose snapshot is older than the newest commit could not upgrade its
    lock on SQLite; its audit entry goes through a short transaction of its own."""
    actor = reader(database)
    with database.new_session(read_only=True) as page:
        page.scalars(sa.select(User)).all()
        with database.new_session() as other:
            audit.record(other, actor, "case.status", "grievance", "1")
            other.commit()
        audit.record(page, actor, "case.viewed", "grievance", "1")
        # Committed already, before the page renders and whatever happens next.
        page.rollback()
    assert entries(database) == ["case.status", "case.viewed"]
    with database.new_session() as s:
        assert all(isinstance(item, int) for item in audit_verify.verify(s))


def test_apart_in_a_writing_session_is_the_session_itself(database):
    with database.new_session() as s:
        with apart(s) as writer:
            assert writer is s
        audit.record(s, reader(database), "case.status", "grievance", "1")
        s.rollback()  # a change and its entry go together
    assert entries(database) == []


def _sync_setting(conn: sa.Connection | sa.orm.Session) -> str:
    return conn.execute(sa.text("SELECT current_setting('synchronous_commit')")).scalar_one()


def test_a_reads_own_write_does_not_wait_for_the_disk_and_a_change_does(database):  # type: ignore[no-untyped-def]
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no per-transaction synchronous commit")
    with database.new_session(read_only=True) as read:
        with apart(read) as writer:
            assert _sync_setting(writer) == "off"  # the view's audit entry
        assert _sync_setting(read) == "on"
    with database.new_session() as change:
        assert _sync_setting(change) == "on"  # a filing, a decision: on disk before the answer
        change.rollback()
    # Set for that transaction alone: the pooled connection it used is back to waiting.
    with database.engine.connect() as conn:
        for _ in range(3):
            assert _sync_setting(conn) == "on"


def test_on_disk_commits_a_transaction_with_an_id(database):  # type: ignore[no-untyped-def]
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's commits always wait for the disk here")
    given: list[object] = []

    def before_commit(session):  # type: ignore[no-untyped-def]
        ask = sa.text("SELECT pg_current_xact_id_if_assigned()")
        given.append(session.execute(ask).scalar())

    with database.new_session() as session:
        sa.event.listen(session, "before_commit", before_commit)
        on_disk(session)
    assert given and given[0] is not None
