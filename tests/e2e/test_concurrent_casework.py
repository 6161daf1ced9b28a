"""Two reviewers saving one case at the same moment, on PostgreSQL with real sessions.

The first change locks the case's row (SELECT ... FOR UPDATE); the second waits for it,
then reads the version the first wrote, and is refused (409) rather than overwriting it.
SQLite has no row locks (a writer locks the whole file), so these run on PostgreSQL only;
tests/web/test_stale_changes.py covers the same refusal on both databases.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from portal.domain.errors import StaleCase
from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.grievances import CaseEvent, Grievance
from portal.models.users import User
from portal.services import casefile, versions
from tests.conftest import PG_BASE, case_versions
from tests.factories import PASSWORD, make_case, make_policy_committees, make_user, seat

pytestmark = pytest.mark.skipif(not PG_BASE, reason="row locks need PostgreSQL")

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Reviewer:
    """A signed-in committee member speaking plain HTTP to the live server."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )
        token = CSRF.search(self.get("/sign-in")).group(1)
        assert (
            self.post("/sign-in", {"csrf_token": token, "email": email, "password": PASSWORD})[0]
            == 303
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:  # redirects and refusals surface here
            return exc.code, exc.read().decode()


@pytest.fixture
def case_reference(live_server):  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        committees = make_policy_committees(session, live_server.app.extensions["portal.policies"])
        services = committees["member-services"]
        seat(
            session,
            services,
            make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer"),
        )
        seat(
            session,
            services,
            make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair"),
            Seat.CHAIR,
        )
        member = make_user(session, Role.MEMBER, email="filer@example.org")
        case = make_case(live_server.app, session, member)
        session.commit()
        return case.reference


def _user(session, email: str) -> User:  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(User).where(User.email == email))


def test_the_second_session_waits_for_the_lock_then_sees_the_new_version(
    live_server, case_reference
):
    first, second = live_server.session(), live_server.session()
    try:
        seen = first.scalar(
            sa.select(Grievance.version).where(Grievance.reference == case_reference)
        )
        first.rollback()
        reviewer = _user(first, "rev@example.org")
        case, standing = casefile.committee_case(
            first,
            reviewer,
            case_reference,
            audit_view=False,
            for_update=True,
        )
        outcome: dict[str, object] = {}

        def save_too() -> None:
            chair = _user(second, "chair@example.org")
            found, _standing = casefile.committee_case(
                second, chair, case_reference, audit_view=False, for_update=True
            )
            outcome["locked_at"] = time.monotonic()
            outcome["version"] = found.version
            try:
                versions.check(found, str(seen))
            except StaleCase as exc:
                outcome["stale"] = [e.to_status for e in exc.changes]
            second.rollback()

        thread = threading.Thread(target=save_too)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second session did not wait for the row lock"
        casefile.move(first, reviewer, case, standing, "under_review")
        released = time.monotonic()
        first.commit()
        thread.join(10)
        assert not thread.is_alive()
        # It got the row only once the first had committed (not merely some time later: on a
        # busy machine, its own first query can take most of the half second).
        assert outcome["locked_at"] >= released
        assert outcome["version"] == seen + 1
        assert "stale" in outcome  # the second change is refused, not applied over the first
    finally:
        first.close()
        second.close()


def test_two_reviewers_posting_at_once_one_saves_one_gets_409(live_server, case_reference):
    url = f"/committee/cases/{case_reference}"
    people = [Reviewer(live_server.url, e) for e in ("rev@example.org", "chair@example.org")]
    forms = []
    for person in people:
        html = person.get(url)
        forms.append(
            {
                "csrf_token": CSRF.search(html).group(1),
                **case_versions(html),
                "move-target": "under_review",
            }
        )
    barrier = threading.Barrier(2)
    results: list[tuple[int, str]] = [(0, "")] * 2

    def post(i: int) -> None:
        barrier.wait()
        results[i] = people[i].post(f"{url}/status", forms[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(status for status, _ in results) == [303, 409]
    refused = next(body for status, body in results if status == 409)
    assert "Someone else changed this case while you were working on it" in refused
    assert "Your change was not saved; here is the case as it is now." in refused
    with live_server.session() as session:
        moves = session.scalars(
            sa.select(CaseEvent).where(CaseEvent.to_status == "under_review")
        ).all()
        assert len(moves) == 1
