"""Concurrent posts over real HTTP: a double-click files one case; parallel filings never share a number."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.grievances import Grievance
from tests.conftest import form_tokens
from tests.factories import PASSWORD, make_committee, make_user

pytestmark = pytest.mark.e2e

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Member:
    """A signed-in member speaking plain HTTP to the live server."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )
        page = self.get("/sign-in")
        status, _ = self.post(
            "/sign-in",
            {"csrf_token": CSRF.search(page).group(1), "email": email, "password": PASSWORD},
        )
        assert status == 303

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, ""
        except urllib.error.HTTPError as exc:  # redirects surface here with NoRedirect
            return exc.code, exc.headers.get("Location", "")

    def filing_form(self) -> dict[str, str]:
        return {
            **form_tokens(self.get("/grievances/new")),
            "action": "submit",
            "category": "billing",
            "subject": "Charged twice",
            "narrative": "Charged twice for dues.",
        }


def _at_once(calls):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):  # type: ignore[no-untyped-def]
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def member(live_server):  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        make_committee(session, "member-services", "Member Services")
        make_user(session, Role.MEMBER, email="quick@example.org")
        session.commit()
    return Member(live_server.url, "quick@example.org")


def test_two_concurrent_posts_of_one_form_file_exactly_one_case(live_server, member):
    form = member.filing_form()
    results = _at_once([lambda: member.post("/grievances/new", form)] * 2)
    assert [status for status, _ in results] == [303, 303]
    assert results[0][1] == results[1][1]  # both land on the same acknowledgement
    with live_server.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Grievance)) == 1


def test_parallel_filings_get_distinct_references(live_server, member):
    forms = [member.filing_form() for _ in range(4)]
    results = _at_once([lambda f=f: member.post("/grievances/new", f) for f in forms])
    assert [status for status, _ in results] == [303] * 4
    with live_server.session() as session:
        refs = sorted(session.scalars(sa.select(Grievance.reference)))
    assert len(set(refs)) == 4
    numbers = [int(r.rsplit("-", 1)[1]) for r in refs]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4


def test_concurrent_messages_on_one_case_all_arrive(live_server, member):
    status, location = member.post("/grievances/new", member.filing_form())
    assert status == 303
    case_url = location.replace("/acknowledgement", "").removeprefix(live_server.url)
    page = member.get(case_url)
    token = CSRF.search(page).group(1)
    bodies = [f"Detail number {n}" for n in range(3)]
    results = _at_once(
        [
            lambda b=b: member.post(f"{case_url}/messages", {"csrf_token": token, "body": b})
            for b in bodies
        ]
    )
    assert [status for status, _ in results] == [303] * 3
    page = member.get(case_url)
    assert all(b in page for b in bodies)
