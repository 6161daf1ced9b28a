"""A page costs the same number of SQL statements whatever the data size (issue 12, item 1).

Counted on the engine (`before_cursor_execute`) around one request: the queue with 5 and
with 60 cases (some identity-withheld, some assigned, several members named), and the
committee's case page with 1 and with 10 messages, events and files by different people.
"""

from __future__ import annotations

import io

import pytest

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.grievances import Message
from portal.services import timeline
from portal.services.evidence import Upload
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in
from tests.web.statements import statements_for


@pytest.fixture
def staff(app, session, committees):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    people = [make_user(session, Role.REVIEWER, email=f"rev{n}@example.org") for n in range(4)]
    for person in people:
        seat(session, services, person)
    chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    seat(session, services, chair, Seat.CHAIR)
    session.commit()
    return people


def add_cases(app, session, count: int, start: int, staff) -> None:  # type: ignore[no-untyped-def]
    members = [
        make_user(
            session, Role.MEMBER, email=f"m{start}-{n}@example.org", name=f"Member {start}-{n}"
        )
        for n in range(max(1, count // 5))
    ]
    for n in range(count):
        withheld = n % 4 == 0
        case = make_case(
            app,
            session,
            members[n % len(members)],
            category="events" if withheld else "billing",
            hide_identity=withheld,
            subject=f"Case {start + n}",
        )
        if n % 3:  # two in three assigned: the chair's first page, unassigned first, has both
            case.assignee_id = staff[n % len(staff)].id
    session.commit()


QUEUES = ("/committee/queue", "/committee/queue?sort=activity", "/committee/queue?sla=on_track")


@pytest.mark.parametrize("email", ["rev0@example.org", "chair@example.org"])
def test_the_queue_costs_the_same_at_5_and_60_cases(app, session, staff, email):
    add_cases(app, session, 5, 0, staff)
    browser = signed_in(app, email)
    small = [len(statements_for(app, browser, url)) for url in QUEUES]
    add_cases(app, session, 55, 5, staff)
    page = browser.get("/committee/queue").get_data(as_text=True)
    assert "60 open cases" in page and "More cases" in page
    withheld = browser.get("/committee/queue?category=events").get_data(as_text=True)
    assert "Member (identity withheld)" in withheld
    assert [len(statements_for(app, browser, url)) for url in QUEUES] == small


def busy_case(app, session, member, staff, n: int):  # type: ignore[no-untyped-def]
    files = [Upload(f"note-{i}.txt", io.BytesIO(f"file {i}".encode())) for i in range(n)]
    case = make_case(app, session, member, files=files)
    for i in range(n):
        author = staff[i % len(staff)]
        message = Message(from_member=False, author=author)
        case.messages.append(message)
        message.body = f"Message {i}"
        timeline.add_event(case, "note", author, public=False, detail=f"Event {i}")
    session.commit()
    return case


def test_the_case_page_costs_the_same_with_1_and_10_of_everything(app, session, staff, member):
    one = busy_case(app, session, member, staff, 1)
    ten = busy_case(app, session, member, staff, 10)
    browser = signed_in(app, "chair@example.org")
    small = len(statements_for(app, browser, f"/committee/cases/{one.reference}"))
    page = browser.get(f"/committee/cases/{ten.reference}").get_data(as_text=True)
    assert "Message 9" in page and "note-9" in page
    assert len(statements_for(app, browser, f"/committee/cases/{ten.reference}")) == small
