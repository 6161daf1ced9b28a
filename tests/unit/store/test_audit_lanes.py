"""Writers append to the audit log side by side, each in a lane nobody else holds, and
every lane is as tamper-evident as the single chain was."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from portal.db import Database
from portal.models.audit import AuditEntry, AuditHead
from portal.security import keys
from portal.security.audit_seal import parse_anchor
from portal.security.errors import AuditChainBroken
from portal.services import audit, audit_verify
from tests.conftest import PG_BASE, migrate, postgres_database

pytestmark = pytest.mark.skipif(not PG_BASE, reason="lanes need concurrent writers: PostgreSQL")


@pytest.fixture
def database(app) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    with postgres_database("portal_lanes") as url:
        migrate(url)
        db = Database(url)
        with db.new_session() as s:
            audit.create_genesis(s, keys.current().index_root)
            s.commit()
        yield db
        db.engine.dispose()


def problems(db: Database) -> list[audit_verify.Problem]:
    with db.new_session() as s:
        return [p for p in audit_verify.verify(s) if isinstance(p, audit_verify.Problem)]


def two_writers_at_once(db: Database) -> list[AuditEntry]:
    """One transaction holds a lane; a second writes meanwhile, without waiting."""
    first = db.new_session()
    entry = audit.record(first, None, "case.viewed", "grievance", "1")
    done: list[AuditEntry] = []

    def second() -> None:
        with db.new_session() as s:
            done.append(audit.record(s, None, "case.viewed", "grievance", "2"))
            s.commit()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(10)
    assert done, "the second writer waited for the first one's lane"
    first.commit()
    first.close()
    return [entry, done[0]]


def test_concurrent_writers_take_different_lanes_and_the_log_verifies(database):
    first, second = two_writers_at_once(database)
    assert (first.lane, first.seq) == (1, 1)
    assert (second.lane, second.seq) == (2, 1)
    assert problems(database) == []
    with database.new_session() as s:
        value = str(audit.anchor(s))
        # Alone, a writer takes lane 1 again.
        assert audit.record(s, None, "case.viewed", "grievance", "3").lane == 1
        s.commit()
        anchor = parse_anchor(keys.current().index_root, value)
    assert sorted(anchor.heads) == [1, 2]


def test_an_entry_cut_from_a_second_lane_is_found(database):
    _first, second = two_writers_at_once(database)
    with database.new_session() as s:
        s.execute(sa.delete(AuditEntry).where(AuditEntry.id == second.id))
        s.commit()
    assert audit_verify.Problem(None, "the newest entries after 0 were removed", 2) in problems(
        database
    )


def test_a_deleted_lane_head_refuses_writes_and_is_named(database):
    two_writers_at_once(database)
    with database.new_session() as s:
        s.execute(sa.delete(AuditHead).where(AuditHead.id == 2))
        s.commit()
    with database.new_session() as s, pytest.raises(AuditChainBroken, match="lane's head"):
        audit.record(s, None, "case.viewed", "grievance", "4")
    assert any("the head of lane 2 is missing" in str(p) for p in problems(database))
