"""The survey after a decision: when it goes, its one reminder, its single-use expiring link,
answers kept apart from the case, the chair's follow-up, and the n >= 5 rule."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.domain.errors import NotFound, PermissionDenied
from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.outbox import OutboxMessage
from portal.models.surveys import SurveyAnswer, SurveyFollowUp, SurveyInvitation
from portal.services import (
    casefile,
    decisions,
    escalation,
    keyring,
    notifications,
    outbox,
    recusals,
    survey_results,
    surveys,
)
from portal.services.survey_results import MIN_ANSWERS
from tests.factories import make_user, seat
from tests.unit.services.conftest import at

DECIDED = at(10, 10)  # Tuesday 10 March, 10:00
DUE = at(11, 10)  # one working day later
GOOD = surveys.Answers(4, 4, 5, 9, "")


def decide(session, policies, case, reviewer, when=DECIDED):  # type: ignore[no-untyped-def]
    case.assignee_id = reviewer.id
    standing = casefile.reachable(session, reviewer, case)
    decisions.record_decision(
        session,
        reviewer,
        case,
        standing,
        outcome="upheld",
        rationale="Reasons.",
        remedy="",
        clauses=["remedies"],
        policies=policies,
        now=when,
    )
    session.flush()
    return case


@pytest.fixture
def decided(session, policies, make_case, reviewer):  # type: ignore[no-untyped-def]
    def make(**kw):  # type: ignore[no-untyped-def]
        case = make_case(status="under_review", first_response_at=at(2, 12), **kw)
        return decide(session, policies, case, reviewer)

    return make


def mailed(session, template: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The tokens of the survey mails in the outbox, by case reference."""
    rows = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == template))
    contexts = [
        outbox.unseal("outbox_messages", r.id, r.template, r.language, r.payload_ct)["context"]
        for r in rows
    ]
    return {c["reference"]: c["token"] for c in contexts}


def mailed_tokens(session, template: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(mailed(session, template).values())


def test_the_survey_goes_a_working_day_after_the_decision_with_a_hashed_link(
    session, policies, decided
):
    case = decided()
    invitation = session.scalar(sa.select(SurveyInvitation))
    assert invitation.grievance_id == case.id and invitation.send_at == DUE
    assert surveys.sweep(session, policies, DUE - timedelta(minutes=1)).sent == 0
    assert surveys.sweep(session, policies, DUE).sent == 1
    assert surveys.sweep(session, policies, DUE + timedelta(minutes=1)).sent == 0  # once
    [token] = mailed_tokens(session, "survey_invitation")
    assert invitation.token_hash == surveys.digest(token) != token
    row = session.execute(sa.select(SurveyInvitation.__table__)).one()._mapping
    assert token not in {str(v) for v in row.values()}
    assert invitation.closes_at == DUE + timedelta(days=30)
    assert surveys.open_survey(session, token, DUE).id == invitation.id


def test_an_appeal_holds_the_survey_until_the_next_decision(
    session, policies, decided, member, reviewer
):
    case = decided()
    escalation.appeal(session, member, case, "I disagree.", policies, now=at(10, 15))
    assert surveys.sweep(session, policies, at(12, 10)).sent == 0
    invitation = session.scalar(sa.select(SurveyInvitation))
    assert invitation.sent_at is None


def test_a_survey_too_late_to_send_closes_unsent(session, policies, decided):
    decided()
    summary = surveys.sweep(session, policies, DUE + timedelta(days=31))
    invitation = session.scalar(sa.select(SurveyInvitation))
    assert summary.sent == 0 and invitation.sent_at is not None
    assert invitation.token_hash is None and mailed_tokens(session, "survey_invitation") == []


def test_one_reminder_both_links_work_and_answering_ends_both(session, policies, decided):
    decided()
    surveys.sweep(session, policies, DUE)
    assert (
        surveys.sweep(session, policies, DUE + timedelta(days=7) - timedelta(minutes=1)).reminded
        == 0
    )
    assert surveys.sweep(session, policies, DUE + timedelta(days=7)).reminded == 1
    assert surveys.sweep(session, policies, DUE + timedelta(days=8)).reminded == 0  # one only
    [first] = mailed_tokens(session, "survey_invitation")
    [second] = mailed_tokens(session, "survey_reminder")
    later = DUE + timedelta(days=8)
    assert surveys.open_survey(session, first, later) == surveys.open_survey(session, second, later)
    surveys.submit(session, second, GOOD, policies, now=later)
    for token in (first, second):
        with pytest.raises(NotFound):
            surveys.open_survey(session, token, later)
        with pytest.raises(NotFound):
            surveys.submit(session, token, GOOD, policies, now=later)
    assert session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 1


def test_no_reminder_for_a_member_who_wants_only_important_mail(session, policies, decided, member):
    member.mail_preference = notifications.MAIL_IMPORTANT
    decided()
    assert surveys.sweep(session, policies, DUE).sent == 1  # the survey itself still goes
    assert surveys.sweep(session, policies, DUE + timedelta(days=7)).reminded == 0


def test_the_link_expires(session, policies, decided):
    decided()
    surveys.sweep(session, policies, DUE)
    [token] = mailed_tokens(session, "survey_invitation")
    with pytest.raises(NotFound):
        surveys.open_survey(session, token, DUE + timedelta(days=30))
    with pytest.raises(NotFound):
        surveys.open_survey(session, "not-a-token", DUE)


def test_the_answer_row_holds_no_case_or_member_id_and_seals_the_comment(
    session, policies, decided, member, reviewer
):
    case = decided()
    surveys.sweep(session, policies, DUE)
    [token] = mailed_tokens(session, "survey_invitation")
    answer = surveys.submit(
        session, token, surveys.Answers(5, 4, 3, 10, "CANARY-comment-7f3a"), policies, now=DUE
    )
    columns = set(SurveyAnswer.__table__.columns.keys())
    assert columns == {
        "id",
        "committee_id",
        "category",
        "reviewer_id",
        "decided_month",
        "outcome_score",
        "process_score",
        "fairness_score",
        "recommend_score",
        "dek_key_id",
        "dek_wrapped",
        "comment_ct",
    }
    row = session.execute(sa.select(SurveyAnswer.__table__)).one()._mapping
    values = {str(v) for v in row.values()}
    assert str(case.id) not in values and str(member.id) != str(row["reviewer_id"])
    assert row["reviewer_id"] == reviewer.id and str(row["decided_month"]) == "2026-03-01"
    assert b"CANARY" not in bytes(row["comment_ct"])
    assert answer.comment == "CANARY-comment-7f3a"
    # The comment's key is wrapped by the KEK ring, so a rotation covers it.
    assert keyring.usage(session)[row["dek_key_id"]] >= 2  # the case's key and the answer's


def test_a_score_of_two_or_less_opens_a_follow_up_for_the_chair(
    session, policies, decided, chair, reviewer, committee
):
    low, fine = decided(), decided()
    surveys.sweep(session, policies, DUE)
    tokens = mailed(session, "survey_invitation")
    surveys.submit(session, tokens[low.reference], surveys.Answers(4, 2, 4, 8), policies, now=DUE)
    surveys.submit(session, tokens[fine.reference], surveys.Answers(3, 3, 3, 3), policies, now=DUE)
    [follow_up] = session.scalars(sa.select(SurveyFollowUp)).all()
    invitations = {i.id: i.grievance_id for i in session.scalars(sa.select(SurveyInvitation))}
    assert follow_up.grievance_id == low.id and fine.id in invitations.values()
    shown = survey_results.open_follow_ups(session, chair)
    assert [(f.id, f.reference) for f in shown] == [(follow_up.id, low.reference)]
    # A second chair who declared a conflict on the case neither sees nor closes it.
    other = make_user(session, Role.CHAIR)
    seat(session, committee, other, Seat.CHAIR)
    recusals.declare(session, other, low, policies, now=DUE)
    assert survey_results.open_follow_ups(session, other) == []
    with pytest.raises(NotFound):
        survey_results.mark_done(session, other, str(follow_up.id))
    # A reviewer sees no results and no follow-ups at all.
    with pytest.raises(PermissionDenied):
        survey_results.results(session, reviewer)
    with pytest.raises(PermissionDenied):
        survey_results.open_follow_ups(session, reviewer)
    survey_results.mark_done(session, chair, str(follow_up.id), now=DUE)
    assert survey_results.open_follow_ups(session, chair) == []
    with pytest.raises(NotFound):
        survey_results.mark_done(session, chair, str(uuid.uuid4()))


def answer_all(session, policies, cases, answers):  # type: ignore[no-untyped-def]
    surveys.sweep(session, policies, DUE)
    for token, given in zip(mailed_tokens(session, "survey_invitation"), answers, strict=True):
        surveys.submit(session, token, given, policies, now=DUE)


def test_figures_appear_from_five_answers(session, policies, decided, chair):
    for _ in range(MIN_ANSWERS):
        decided()
    scores = [(5, 5, 5, 10), (4, 4, 4, 9), (3, 3, 3, 8), (4, 4, 5, 3), (4, 3, 4, 0)]
    surveys.sweep(session, policies, DUE)
    tokens = mailed_tokens(session, "survey_invitation")
    for token, given in zip(tokens[:4], scores[:4], strict=True):
        surveys.submit(session, token, surveys.Answers(*given), policies, now=DUE)
    last = tokens[4]
    [four] = survey_results.results(session, chair)
    assert four.total.answers == 4 and not four.total.shown and four.total.nps is None
    assert four.comments == []
    surveys.submit(session, last, surveys.Answers(*scores[4], "Thanks"), policies, now=DUE)
    [five] = survey_results.results(session, chair)
    total = five.total
    assert (total.answers, total.shown) == (5, True)
    assert (total.outcome, total.process, total.fairness) == (4.0, 3.8, 4.2)
    assert total.recommend == 6.0
    assert total.nps == 0  # 2 promoters (10, 9), 2 detractors (3, 0) of 5
    assert five.comments == ["Thanks"]
    [one_reviewer] = five.by_reviewer
    assert one_reviewer.figures.shown and one_reviewer.figures.answers == 5


def test_a_breakdown_never_lets_one_small_group_be_worked_out(
    session, policies, make_case, reviewer, chair
):
    cases = []
    for category in ["billing"] * 6 + ["benefits"]:
        case = make_case(status="under_review", first_response_at=at(2, 12))
        case.category = category
        cases.append(decide(session, policies, case, reviewer))
    answer_all(session, policies, cases, [GOOD] * 7)
    [found] = survey_results.results(session, chair)
    assert found.total.shown
    by = {g.key: g.figures for g in found.by_category}
    assert by["benefits"].answers == 1 and not by["benefits"].shown
    # billing has 6 answers, but showing it would give benefits' figures by subtraction.
    assert by["billing"].answers == 6 and not by["billing"].shown
