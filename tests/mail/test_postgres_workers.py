"""On PostgreSQL two workers never claim, and so never send, the same message.

A database of its own (committed for real, unlike the rolled-back test transaction), an app
on it, and two workers: first two claims side by side with the first still holding its
locks, then two workers running whole passes at once against one SMTP server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from portal.db import database, utcnow
from portal.domain.roles import Role
from portal.security import keys as keyring
from portal.services import outbox
from tests.conftest import PG_BASE, app_of_its_own
from tests.factories import make_user
from tests.mail.conftest import worker_for

pytestmark = pytest.mark.skipif(not PG_BASE, reason="PORTAL_TEST_POSTGRES is not set")


@pytest.fixture
def pg_app(tmp_path, base_app) -> Iterator[object]:  # type: ignore[no-untyped-def]
    with app_of_its_own(tmp_path, base_app, "portal_outbox") as app:
        yield app


def fill(app, count: int) -> None:  # type: ignore[no-untyped-def]
    keyring.install(app.extensions["portal.keys"])
    with database(app).new_session() as session:
        for n in range(count):
            user = make_user(session, Role.MEMBER, email=f"pg{n}@example.org")
            outbox.enqueue(
                session,
                to=user,
                template="committee_wrote",
                context={"reference": f"GRV-2026-{n + 1:06d}", "account": True},
                language="en",
            )
        session.commit()


def test_a_claim_skips_the_rows_another_worker_holds(pg_app):
    fill(pg_app, 5)
    now = utcnow()
    db = database(pg_app)
    with db.new_session() as first, db.new_session() as second:
        mine = outbox.claim(first, "first", now, limit=3)  # locked, not yet committed
        theirs = outbox.claim(second, "second", now, limit=10)
        assert len(mine) == 3 and len(theirs) == 2 and not set(mine) & set(theirs)
        first.commit()
        second.commit()
    with db.new_session() as third:
        assert outbox.claim(third, "third", now, limit=10) == []  # all leased


def test_two_workers_at_once_send_every_message_exactly_once(pg_app, smtp):
    fill(pg_app, 40)
    now = utcnow()
    workers = [worker_for(pg_app, smtp.port, now, batch=4, name=f"w{n}") for n in (1, 2)]
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(worker) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        results[worker.name] = worker.run_once()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    ids = [m.message["Message-ID"] for m in smtp.mails]
    assert len(ids) == 40 and len(set(ids)) == 40
    sent = [sum(r.sent.values()) for r in results.values()]  # type: ignore[attr-defined]
    assert sum(sent) == 40
