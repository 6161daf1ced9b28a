"""Who is told: the member's mail preference, a case recorded for someone without an
account, a reviewer taking a case themselves, and someone who stepped back from a case."""

from __future__ import annotations

import pytest

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.services import (
    casefile,
    casework,
    claims,
    decisions,
    intake,
    notifications,
    notify,
    reassign,
    recusals,
)
from tests.factories import make_case, make_policy_committees, make_user, seat
from tests.unit.services.conftest import at


@pytest.fixture
def office(app, session):  # type: ignore[no-untyped-def]
    services = make_policy_committees(session, app.extensions["portal.policies"])["member-services"]
    chair = make_user(session, Role.CHAIR, email="chair@example.org")
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org")
    seat(session, services, chair, Seat.CHAIR)
    seat(session, services, reviewer)
    return chair, reviewer


def test_a_member_who_wants_only_decisions_and_requests_gets_only_those_by_mail(
    app, session, smtp, deliver, office
):
    chair, reviewer = office
    member = make_user(session, Role.MEMBER, email="quiet@example.org")
    notifications.set_mail_preference(session, member, notifications.MAIL_IMPORTANT)
    case = make_case(app, session, member, now=at(2, 9))
    found, standing = casefile.committee_case(session, chair, case.reference, audit_view=False)
    reassign.assign(session, chair, found, standing, reviewer.id, now=at(2, 10))
    found, standing = casefile.committee_case(session, reviewer, case.reference, audit_view=False)
    casework.send_reply(session, reviewer, found, standing, "Hello", now=at(2, 11))
    casework.request_information(session, reviewer, found, standing, "When?", now=at(2, 12))
    decisions.record_decision(
        session,
        reviewer,
        found,
        standing,
        outcome="upheld",
        rationale="Because.",
        remedy="",
        clauses=["remedies"],
        policies=app.extensions["portal.policies"],
        now=at(3, 9),
    )
    session.commit()
    deliver(at(3, 10))
    ref = case.reference
    assert [m.subject for m in smtp.to("quiet@example.org")] == [
        f"{ref}: the committee needs more information",
        f"{ref}: a decision has been made",
    ]
    listed, _more = notifications.recent(session, member)
    assert sorted(n.template for n in listed) == [
        "case_acknowledged",
        "committee_wrote",
        "decision_made",
        "information_requested",
    ]


def test_a_case_recorded_for_someone_without_an_account_is_mailed_to_the_address_given(
    app, session, smtp, deliver, office
):
    chair, _reviewer = office
    filing = intake.Filing(
        category="billing",
        subject="Charged twice",
        narrative="Told us on the phone.",
        channel="phone",
        claimant=claims.ClaimantDetails(full_name="Pat Phone", email="pat@example.org"),
    )
    case = intake.file_grievance(
        session,
        chair,
        None,
        filing,
        app.extensions["portal.policies"],
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
        now=at(2, 9),
    )
    session.commit()
    deliver(at(2, 10))
    [mail] = smtp.to("pat@example.org")
    assert mail.subject == f"{case.reference}: we have received your grievance"
    assert "http://127.0.0.1:5000/register" in mail.text
    assert "claim code" in mail.text and "Pat Phone" not in mail.everything()


def test_nobody_is_told_of_a_case_they_took_or_stepped_back_from(
    app, session, smtp, deliver, office
):
    chair, reviewer = office
    member = make_user(session, Role.MEMBER)
    case = make_case(app, session, member, now=at(2, 9))
    found, standing = casefile.committee_case(session, reviewer, case.reference, audit_view=False)
    reassign.take(session, reviewer, found, standing, now=at(2, 10))
    recusals.declare(session, chair, found, app.extensions["portal.policies"], now=at(2, 11))
    session.commit()
    deliver(at(2, 12))
    assert smtp.to("rev@example.org") == []  # took it: no "assigned to you"
    new_case = smtp.to("chair@example.org")
    assert [m.subject for m in new_case] == [f"{case.reference}: a new case for Member Services"]
    # Later events skip the chair who stepped back (breaches go to assignee and free chairs).
    notify.breached(session, case, "first_response", now=at(3, 9))
    session.commit()
    deliver(at(3, 10))
    assert len(smtp.to("chair@example.org")) == 1
    assert [m.subject for m in smtp.to("rev@example.org")] == [
        f"{case.reference}: the first response is overdue"
    ]
