"""The survey from the mailed link, the chair's results page, follow-ups; nothing of a comment
in a mail or a log."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.db import utcnow
from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.outbox import OutboxMessage
from portal.models.surveys import SurveyAnswer, SurveyFollowUp
from portal.services import casefile, decisions, surveys
from tests.conftest import Browser
from tests.factories import PASSWORD, make_case, make_user, seat
from tests.mailbox import link_in, text_of
from tests.web.conftest import signed_in

CANARY = "CANARY-survey-comment-5d1e"


@pytest.fixture
def people(session, committees):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    found = {
        "chair": make_user(session, Role.CHAIR, email="chair@example.org"),
        "reviewer": make_user(session, Role.REVIEWER, email="rev@example.org"),
    }
    seat(session, services, found["chair"], Seat.CHAIR)
    seat(session, services, found["reviewer"])
    session.commit()
    return found


def decided_case(app, session, people, email: str, language: str | None = None):  # type: ignore[no-untyped-def]
    """A member's billing case, decided two days ago by the assigned reviewer."""
    member = make_user(session, Role.MEMBER, email=email)
    member.language = language
    when = utcnow() - timedelta(days=3)
    case = make_case(app, session, member, now=when)
    reviewer = people["reviewer"]
    case.assignee_id = reviewer.id
    decisions.record_decision(
        session,
        reviewer,
        case,
        casefile.reachable(session, reviewer, case),
        outcome="upheld",
        rationale="Reasons.",
        remedy="",
        clauses=["remedies"],
        policies=app.extensions["portal.policies"],
        now=when + timedelta(hours=1),
    )
    session.commit()
    return case


def survey_mails(app, session, mailbox):  # type: ignore[no-untyped-def]
    """The sweep sends what is due (as `flask sla sweep` does); the worker delivers it."""
    surveys.sweep(session, app.extensions["portal.policies"], utcnow())
    session.commit()
    mailbox.deliver()
    return [m for m in mailbox.mails if "/survey/" in text_of(m)]


def test_a_member_answers_once_from_the_mailed_link_without_signing_in(
    app, session, people, mailbox
):
    decided_case(app, session, people, "mia@example.org")
    [mail] = survey_mails(app, session, mailbox)
    assert mail["To"] == "mia@example.org"
    path = link_in(mail, "/survey/")
    visitor = Browser(app.test_client())
    page = visitor.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "How satisfied are you with the outcome of your grievance?" in html
    assert "0: Not at all likely · 10: Extremely likely" in html
    assert "GRV-" not in html  # the page says nothing about the case
    # A missing answer is explained and nothing is stored.
    bad = visitor.submit(path, {"outcome_score": "4", "process_score": "9"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Choose one of the numbers shown." in text or "Choose one of the options shown." in text
    assert session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 0
    done = visitor.submit(
        path,
        {
            "outcome_score": "4",
            "process_score": "5",
            "fairness_score": "4",
            "recommend_score": "9",
            "comment": "Clear and kind.",
        },
    )
    assert done.status_code == 303 and done.headers["Location"] == "/survey/thanks"
    assert "Thank you for your answers" in visitor.get("/survey/thanks").get_data(as_text=True)
    again = visitor.get(path)
    assert again.status_code == 404
    assert "already answered, or its link has expired" in again.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 1


def test_the_survey_opens_in_the_language_of_its_mail(app, session, people, mailbox):
    decided_case(app, session, people, "ji@example.org", language="ko")
    [mail] = survey_mails(app, session, mailbox)
    assert mail["Content-Language"] == "ko"
    html = Browser(app.test_client()).get(link_in(mail, "/survey/")).get_data(as_text=True)
    assert "고충 처리 결과에 얼마나 만족하십니까?" in html


def answer(app, mail, scores, comment: str = ""):  # type: ignore[no-untyped-def]
    outcome, process, fairness, recommend = scores
    return Browser(app.test_client()).submit(
        link_in(mail, "/survey/"),
        {
            "outcome_score": str(outcome),
            "process_score": str(process),
            "fairness_score": str(fairness),
            "recommend_score": str(recommend),
            "comment": comment,
        },
    )


def test_the_chair_sees_figures_from_five_answers_and_reviewers_see_nothing(
    app, session, people, mailbox
):
    for n in range(5):
        decided_case(app, session, people, f"member{n}@example.org")
    mails = survey_mails(app, session, mailbox)
    scores = [(5, 5, 5, 10), (4, 4, 4, 9), (4, 4, 4, 8), (3, 4, 4, 7)]
    for mail, given in zip(mails, scores, strict=False):
        assert answer(app, mail, given).status_code == 303
    chair = signed_in(app, "chair@example.org")
    html = chair.get("/committee/survey-results").get_data(as_text=True)
    assert "4 answers" in html and "Figures appear from 5 answers." in html
    assert "Outcome (1\N{EN DASH}5)" not in html  # no figures below five answers
    assert answer(app, mails[4], (1, 2, 2, 0), "Nobody listened.").status_code == 303
    html = chair.get("/committee/survey-results").get_data(as_text=True)
    assert "5 answers" in html
    assert ">3.4<" in html  # outcome: (5 + 4 + 4 + 3 + 1) / 5
    assert ">20<" in html  # NPS: 2 promoters, 1 detractor of 5
    assert "Nobody listened." in html
    # The low score opened a follow-up: the chair sees its case and marks it done.
    [follow_up] = session.scalars(sa.select(SurveyFollowUp)).all()
    assert "Follow-ups" in html and "No follow-ups waiting." not in html
    done = chair.submit(
        f"/committee/follow-ups/{follow_up.id}/done", {}, form_url="/committee/survey-results"
    )
    assert done.status_code == 303
    assert "No follow-ups waiting." in chair.get("/committee/survey-results").get_data(as_text=True)
    reviewer = signed_in(app, "rev@example.org")
    assert reviewer.get("/committee/survey-results").status_code == 403
    assert "Survey results" not in reviewer.get("/committee/queue").get_data(as_text=True)
    member = Browser(app.test_client())
    assert member.sign_in("member0@example.org", PASSWORD).status_code == 303
    assert member.get("/committee/survey-results").status_code == 403


def test_a_comment_canary_never_reaches_a_mail_an_outbox_row_or_a_log(
    app, session, people, mailbox, caplog
):
    caplog.set_level(logging.DEBUG)
    for n in range(5):
        decided_case(app, session, people, f"canary{n}@example.org")
    mails = survey_mails(app, session, mailbox)
    for n, mail in enumerate(mails):
        assert answer(app, mail, (1, 1, 1, 0), f"{CANARY} {n}").status_code == 303
    # Everything that happens next: reminders, the chair's page, a follow-up done, mail sent.
    surveys.sweep(session, app.extensions["portal.policies"], utcnow() + timedelta(days=8))
    session.commit()
    chair = signed_in(app, "chair@example.org")
    assert CANARY in chair.get("/committee/survey-results").get_data(as_text=True)
    mailbox.deliver()
    for mail in mailbox.mails:
        assert CANARY not in mail.as_string()
    for row in session.scalars(sa.select(OutboxMessage)):
        assert CANARY.encode() not in bytes(row.payload_ct)
    for row in session.scalars(sa.select(SurveyAnswer)):
        assert CANARY.encode() not in bytes(row.comment_ct)
    assert all(CANARY not in r.getMessage() for r in caplog.records)
    assert CANARY not in caplog.text
