""" "You said, we did": a chair publishes, everyone reads, members of that kind are told."""

from __future__ import annotations

import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.improvements import Improvement
from portal.models.outbox import Notification
from portal.services import notifications
from tests.conftest import Browser
from tests.factories import make_case, make_user, seat
from tests.mailbox import text_of
from tests.web.conftest import signed_in

NOTE = {
    "categories": ["billing"],
    "title_en": "Reminders now say what is owed",
    "body_en": "You told us reminders were unclear.\n\nEvery reminder now lists what is due.",
    "title_ko": "",
    "body_ko": "",
}


def test_a_chair_publishes_and_members_of_that_kind_hear_of_it(app, session, committees, mailbox):
    chair = make_user(session, Role.CHAIR, email="chair@example.org")
    seat(session, committees["member-services"], chair, Seat.CHAIR)
    billing = make_user(session, Role.MEMBER, email="billing@example.org")
    quiet = make_user(session, Role.MEMBER, email="quiet@example.org")
    quiet.mail_preference = notifications.MAIL_IMPORTANT
    other = make_user(session, Role.MEMBER, email="events@example.org")
    make_case(app, session, billing)
    make_case(app, session, quiet)
    make_case(app, session, other, category="events")
    session.commit()

    browser = signed_in(app, "chair@example.org")
    form = browser.get("/committee/improvements/new").get_data(as_text=True)
    assert "Dues and billing" in form and "Harassment" not in form  # only its committee's kinds
    refused = browser.submit("/committee/improvements/new", {**NOTE, "body_en": ""})
    assert refused.status_code == 400 and "Say what changed." in refused.get_data(as_text=True)
    half = browser.submit("/committee/improvements/new", {**NOTE, "title_ko": "제목만"})
    assert "Give both a title and a text in this language, or neither." in half.get_data(
        as_text=True
    )
    done = browser.submit("/committee/improvements/new", NOTE)
    assert done.status_code == 303 and done.headers["Location"].startswith("/you-said-we-did#note-")
    page = browser.get("/you-said-we-did").get_data(as_text=True)
    assert "Published. 2 members who raised a grievance of these kinds were told." in page

    visitor = Browser(app.test_client())
    public = visitor.get("/you-said-we-did")
    html = public.get_data(as_text=True)
    assert public.status_code == 200
    assert "Reminders now say what is owed" in html and "<p>Every reminder now lists" in html
    assert "Dues and billing" in html and "You said, we did" in html
    assert (
        visitor.get("/you-said-we-did?category=events")
        .get_data(as_text=True)
        .count("Reminders now say")
        == 0
    )
    assert "/you-said-we-did" in visitor.get("/policies/").get_data(as_text=True)  # footer

    # Both billing members get a notification; mail only for the one who wants everything.
    for person, count in ((billing, 1), (quiet, 1), (other, 0)):
        told = session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(
                Notification.template == "improvement_published",
                Notification.recipient_digest == notifications.recipient_digest(person.id),
            )
        )
        assert told == count
    mailbox.deliver()

    def told_by_mail(address: str) -> list:  # type: ignore[type-arg]
        return [m for m in mailbox.to(address) if "You said" in str(m["Subject"])]

    [mail] = told_by_mail("billing@example.org")
    assert str(mail["Subject"]) == "You said, we did: Reminders now say what is owed"
    assert "/you-said-we-did#note-" in text_of(mail)
    assert told_by_mail("quiet@example.org") == told_by_mail("events@example.org") == []
    notices = Browser(app.test_client())
    notices.sign_in("quiet@example.org", "correct horse battery staple")
    assert "You said, we did: Reminders now say what is owed" in notices.get(
        "/notifications"
    ).get_data(as_text=True)


def test_only_chairs_publish_and_the_other_language_is_shown_when_it_is_the_readers(
    app, session, committees
):
    chair = make_user(session, Role.CHAIR, email="chair@example.org")
    chair.language = "ko"
    seat(session, committees["member-services"], chair, Seat.CHAIR)
    make_user(session, Role.REVIEWER, email="rev@example.org")
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    assert reviewer.get("/committee/improvements/new").status_code == 403
    browser = signed_in(app, "chair@example.org")
    written = {
        "categories": ["billing"],
        "title_ko": "안내문을 바꿨습니다",
        "body_ko": "회비 안내문을 더 알기 쉽게 바꿨습니다.",
        "title_en": "",
        "body_en": "",
    }
    assert browser.submit("/committee/improvements/new", written).status_code == 303
    row = session.scalar(sa.select(Improvement))
    assert row.language == "ko" and row.title_en is None
    english = Browser(app.test_client())
    html = english.get("/you-said-we-did").get_data(as_text=True)
    assert "안내문을 바꿨습니다" in html and 'lang="ko"' in html  # only written in Korean
