"""Every list and case page costs the same number of SQL statements at two data sizes
(issue 13, item 7): the member's pages, the administrators' and the auditor's lists, and
staff's member search. The queue and the committee's case page are in test_query_counts.py.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.grievances import Grievance, Message
from portal.models.users import User
from portal.services import evidence, timeline
from portal.services.evidence import Upload
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in
from tests.web.statements import same_cost


@pytest.fixture
def staff(app, session, committees):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    people = [make_user(session, Role.REVIEWER, email=f"rev{n}@example.org") for n in range(3)]
    for person in people:
        seat(session, services, person)
    chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    seat(session, services, chair, Seat.CHAIR)
    session.commit()
    return people


def enrich(app, session, case: Grievance, staff, n: int) -> None:  # type: ignore[no-untyped-def]
    """`n` more of what a case page shows: messages both ways, public and internal
    events by different people, and files."""
    store, rules = app.extensions["portal.store"], app.extensions["portal.upload_rules"]
    start = len(case.attachments)
    for i in range(start, start + n):
        author = staff[i % len(staff)]
        for from_member in (True, False):
            message = Message(from_member=from_member, author=None if from_member else author)
            case.messages.append(message)
            message.body = f"Message {i} {'from the member' if from_member else 'to the member'}"
        timeline.add_event(case, "note", author, public=True, detail=f"Public step {i}")
        timeline.add_event(case, "note", author, public=False, detail=f"Internal step {i}")
    uploads = [
        Upload(f"proof-{i}.txt", io.BytesIO(f"proof {i}".encode())) for i in range(start, start + n)
    ]
    checked = evidence.check_uploads(uploads, rules)
    evidence.store_uploads(session, store, case, staff[0], checked, from_member=True)
    session.commit()


def file_cases(app, session, member, count: int, start: int = 0) -> list[Grievance]:  # type: ignore[no-untyped-def]
    made = [
        make_case(
            app,
            session,
            member,
            subject=f"Matter {start + n}",
            category=("billing", "events", "governance")[n % 3],
        )
        for n in range(count)
    ]
    session.commit()
    return made


def test_the_case_pages_and_lists_cost_the_same_at_3_and_30_cases(app, session, staff, member):
    cases = file_cases(app, session, member, 3)
    busy = cases[0]
    enrich(app, session, busy, staff, 1)
    browser = signed_in(app, "filer@example.org")
    chair = signed_in(app, "chair@example.org")
    pages = [
        (browser, "/my/grievances"),
        (browser, f"/grievances/{busy.reference}"),
        (browser, f"/grievances/{busy.reference}/acknowledgement"),
        (chair, f"/committee/cases/{busy.reference}"),
        (chair, "/committee/queue"),
    ]

    def grow() -> None:
        file_cases(app, session, member, 27, start=3)
        enrich(app, session, busy, staff, 9)

    same_cost(app, pages, grow)
    page = browser.get(f"/grievances/{busy.reference}").get_data(as_text=True)
    assert "Message 9 to the member" in page and "proof-9.txt" in page
    assert "Internal step" not in page
    assert "Matter 29" in browser.get("/my/grievances").get_data(as_text=True)


def test_the_administrators_lists_cost_the_same_at_3_and_30_people(app, session, committees):
    make_user(session, Role.ADMIN, email="admin@example.org", name="Ada Admin")
    services, ethics = committees["member-services"], committees["ethics"]

    def people(start: int, count: int) -> None:
        for n in range(start, start + count):
            person = make_user(
                session,
                Role.MEMBER,
                *((Role.REVIEWER,) if n % 2 else ()),
                *((Role.PANEL,) if n % 3 == 0 else ()),
                email=f"person{n}@example.org",
                name=f"Person {n}",
                member_number=f"M{n:05d}",
            )
            if n % 2:
                seat(session, services, person)
                seat(session, ethics, person, Seat.CHAIR if n % 4 == 1 else Seat.REVIEWER)
        session.commit()

    people(0, 3)
    browser = signed_in(app, "admin@example.org")
    seated = session.scalar(sa.select(User).where(User.email == "person1@example.org"))
    urls = [
        "/admin/users",
        "/admin/users?q=Person",
        "/admin/users?role=reviewer",
        f"/admin/users/{seated.id}",
        "/admin/committees",
        f"/admin/committees/{services.id}",
        "/admin/panel",
    ]
    same_cost(app, [(browser, url) for url in urls], lambda: people(3, 27))
    assert "Person 24" in browser.get("/admin/users?q=Person").get_data(as_text=True)


def test_the_audit_trail_and_member_search_cost_the_same_at_3_and_20_cases(
    app, session, staff, member
):
    make_user(session, Role.AUDITOR, email="auditor@example.org")
    session.commit()
    first = file_cases(app, session, member, 3)[0]
    enrich(app, session, first, staff, 1)  # a case with files asks for their entries too
    for n in range(2):
        file_cases(
            app, session, make_user(session, email=f"m{n}@example.org", name=f"Member {n}"), 1
        )

    def grow() -> None:
        for n in range(2, 18):
            other = make_user(session, email=f"m{n}@example.org", name=f"Member {n}")
            file_cases(app, session, other, 1, start=n)
        enrich(app, session, first, staff, 3)

    auditor = signed_in(app, "auditor@example.org")
    desk = signed_in(app, "rev0@example.org")
    pages = [
        (auditor, "/oversight/audit"),
        (auditor, f"/oversight/audit?reference={first.reference}"),
        (auditor, "/oversight/audit?email=rev0%40example.org"),
        (desk, "/committee/record?q=Member"),
    ]
    same_cost(app, pages, grow)
    assert "Member 17" in desk.get("/committee/record?q=Member").get_data(as_text=True)
