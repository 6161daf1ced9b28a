"""Filings at once on PostgreSQL: neither waits for the other's commit.

Every filing takes the year's next case number and adds to the same ledger row (same day,
committee, category, channel, priority). Held until the filing commits, either lock would
let one filing at a time through on every app host; the number is committed as it is
taken, and the ledger written just before the commit. A database of its own, committed
for real (unlike the rolled-back test transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from portal.db import database
from portal.domain.roles import Role
from portal.models.kpi_ledger import kpi_days
from portal.models.users import User
from portal.security import keys as keyring
from tests.conftest import PG_BASE, app_of_its_own
from tests.factories import make_case, make_policy_committees, make_user

pytestmark = pytest.mark.skipif(not PG_BASE, reason="PORTAL_TEST_POSTGRES is not set")

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def pg_app(tmp_path, base_app) -> Iterator[object]:  # type: ignore[no-untyped-def]
    with app_of_its_own(tmp_path, base_app, "portal_filing") as app:
        keyring.install(app.extensions["portal.keys"])
        with database(app).new_session() as session:
            make_policy_committees(session, app.extensions["portal.policies"])
            for n in (1, 2):
                make_user(session, Role.MEMBER, email=f"filer{n}@example.org")
            session.commit()
        yield app


def _member(session, n: int):  # type: ignore[no-untyped-def]
    return session.scalars(sa.select(User).where(User.email == f"filer{n}@example.org")).one()


def _filed(app) -> int:  # type: ignore[no-untyped-def]
    with database(app).engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.coalesce(sa.func.sum(kpi_days.c.filed), 0))) or 0


def test_a_filing_goes_through_while_another_is_still_open(pg_app):
    """The first two filings under a policy version: each also stores the version."""
    db = database(pg_app)
    with db.new_session() as first, db.new_session() as second:
        one = make_case(pg_app, first, _member(first, 1), now=NOW)  # written, not committed
        # Waiting for `first` to commit would fail here rather than hang the test.
        second.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        two = make_case(pg_app, second, _member(second, 2), now=NOW)
        second.commit()
        first.commit()
    numbers = sorted(int(case.reference.rsplit("-", 1)[1]) for case in (one, two))
    assert numbers == [1, 2]
    assert _filed(pg_app) == 2


def test_a_filing_that_fails_leaves_its_number_unused_and_counts_nothing(pg_app):
    db = database(pg_app)
    with db.new_session() as failed:
        lost = make_case(pg_app, failed, _member(failed, 1), now=NOW)
        failed.rollback()
    with db.new_session() as session:
        kept = make_case(pg_app, session, _member(session, 2), now=NOW)
        session.commit()
    assert (lost.reference, kept.reference) == ("GRV-2026-000001", "GRV-2026-000002")
    assert _filed(pg_app) == 1
