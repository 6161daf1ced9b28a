"""Every event of a case reaches the right people through a real SMTP server, in their
language, with the reference and a link, and without a word of what anyone wrote.

A case is worked from filing to appeal through the services the pages use; each step that
the member or the committee should hear of is delivered by the outbox worker to aiosmtpd.
Every text written along the way carries a canary marker; no delivered mail holds one.
"""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.i18n import translate
from portal.models.committees import Seat
from portal.models.outbox import Notification, OutboxMessage
from portal.services import (
    casefile,
    cases,
    casework,
    decisions,
    escalation,
    extensions,
    intake,
    notifications,
    reassign,
    sweep,
)
from tests.factories import make_policy_committees, make_user, seat
from tests.unit.services.conftest import at

BASE = "http://127.0.0.1:5000"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Subjects that say nothing but the reference, by template.
SUBJECTS = {
    "case_acknowledged": "%(ref)s: we have received your grievance",
    "committee_wrote": "%(ref)s: the committee has written to you",
    "information_requested": "%(ref)s: the committee needs more information",
    "dates_moved": "%(ref)s: a promised date has changed",
    "decision_made": "%(ref)s: a decision has been made",
    "case_assigned": "%(ref)s: assigned to you",
    "panel_seated": "%(ref)s: you have a seat on the panel",
    "due_soon": "%(ref)s: first response due soon",
    "breached": "%(ref)s: the first response is overdue",
}


def canary(what: str) -> str:
    return f"CANARY-{what}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def people(app, session):  # type: ignore[no-untyped-def]
    committees = make_policy_committees(session, app.extensions["portal.policies"])
    services = committees["member-services"]
    found = {
        "member": make_user(
            session, Role.MEMBER, email="mia@example.org", name=canary("member-name")
        ),
        "chair": make_user(session, Role.CHAIR, email="chair@example.org"),
        # A second chair, named as a party: conflicted, so never told anything.
        "named": make_user(session, Role.CHAIR, email="named.chair@example.org"),
        "reviewer": make_user(session, Role.REVIEWER, email="rev@example.org"),
    }
    seat(session, services, found["chair"], Seat.CHAIR)
    seat(session, services, found["named"], Seat.CHAIR)
    seat(session, services, found["reviewer"])
    for n in range(1, 4):
        found[f"panel{n}"] = make_user(session, Role.PANEL, email=f"panel{n}@example.org")
    return found


def speak(people, language: str) -> None:  # type: ignore[no-untyped-def]
    for person in people.values():
        person.language = language


def file(app, session, member, canaries, now, **changes):  # type: ignore[no-untyped-def]
    filing = intake.Filing(
        category="billing",
        subject=canaries["subject"],
        narrative=canaries["narrative"],
        people_involved=canaries["parties"],
        desired_outcome=canaries["outcome"],
        party_emails=["named.chair@example.org"],
        **changes,
    )
    return intake.file_grievance(
        session,
        member,
        member,
        filing,
        app.extensions["portal.policies"],
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
        now=now,
    )


def expected(mail, template: str, ref: str, language: str) -> None:  # type: ignore[no-untyped-def]
    assert mail.language == language
    if template in SUBJECTS:
        assert mail.subject == translate(language, SUBJECTS[template], ref=ref)
    assert mail.subject.startswith(f"{ref}: ")
    assert bool(HANGUL.search(mail.subject)) == (language == "ko")
    assert bool(HANGUL.search(mail.text)) == (language == "ko")
    assert ref in mail.text and ref in mail.html


def received(smtp, address: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.subject for m in smtp.to(address)]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_case_from_filing_to_appeal_reaches_each_person_in_their_language(
    app, session, smtp, deliver, people, language
):
    speak(people, language)
    policies = app.extensions["portal.policies"]
    texts = {
        k: canary(k)
        for k in (
            "subject",
            "narrative",
            "parties",
            "outcome",
            "reply",
            "note",
            "question",
            "answer",
            "priority",
            "extension",
            "rationale",
            "remedy",
            "appeal",
        )
    }
    member, chair, reviewer = people["member"], people["chair"], people["reviewer"]
    case = file(app, session, member, texts, at(2, 9))
    ref = case.reference

    def standing(user):  # type: ignore[no-untyped-def]
        return casefile.committee_case(session, user, ref, audit_view=False)

    found, st = standing(chair)
    reassign.assign(session, chair, found, st, reviewer.id, now=at(2, 10))
    found, st = standing(reviewer)
    casework.send_reply(session, reviewer, found, st, texts["reply"], now=at(2, 11))
    casework.add_note(session, reviewer, found, st, texts["note"], now=at(2, 11, 30))
    casework.request_information(session, reviewer, found, st, texts["question"], now=at(2, 12))
    cases.send_message(
        session,
        member,
        case,
        texts["answer"],
        [],
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
        policies.calendar,
        now=at(3, 9),
    )
    found, st = standing(reviewer)
    casefile.move(session, reviewer, found, st, "investigating", now=at(3, 10))
    found, st = standing(chair)
    reassign.change_priority(
        session, chair, found, st, "high", texts["priority"], policies, now=at(3, 11)
    )
    extensions.extend(session, chair, case, texts["extension"], policies, days=2, now=at(4, 9))
    found, st = standing(reviewer)
    decisions.record_decision(
        session,
        reviewer,
        found,
        st,
        outcome="upheld",
        rationale=texts["rationale"],
        remedy=texts["remedy"],
        clauses=["remedies"],
        policies=policies,
        now=at(5, 9),
    )
    escalation.appeal(session, member, case, texts["appeal"], policies, now=at(6, 9))
    session.commit()

    summary = deliver(at(6, 10))
    assert summary.failed == [] and summary.waiting == 0

    member_mails = smtp.to("mia@example.org")
    templates = [
        "case_acknowledged",
        "committee_wrote",
        "information_requested",
        "status_changed",
        "dates_moved",
        "dates_moved",
        "decision_made",
        "level_changed",
    ]
    assert len(member_mails) == len(templates), [m.subject for m in member_mails]
    for mail, template in zip(member_mails, templates, strict=True):
        expected(mail, template, ref, language)
        assert (
            f"{BASE}/grievances/{ref}" in mail.text
            and f'href="{BASE}/grievances/{ref}"' in mail.html
        )
    status = translate(language, "Being investigated")
    assert status in member_mails[3].subject
    assert "3" in member_mails[-1].subject  # the appeal took it to level 3, the panel

    [new_case] = smtp.to("chair@example.org")
    expected(new_case, "new_case", ref, language)
    assert f"{BASE}/committee/cases/{ref}" in new_case.text
    [assigned] = smtp.to("rev@example.org")
    expected(assigned, "case_assigned", ref, language)
    for n in range(1, 4):
        [seated] = smtp.to(f"panel{n}@example.org")
        expected(seated, "panel_seated", ref, language)
    assert smtp.to("named.chair@example.org") == []  # conflicted: named in the case

    # Nothing anyone wrote, and nothing naming the member, is in any mail.
    markers = [*texts.values(), member.full_name]
    leaks = [(m.subject, c) for m in smtp.mails for c in markers if c in m.everything()]
    assert leaks == []
    # Each person with an account has the same events listed in the portal.
    listed, _more = notifications.recent(session, member)
    assert sorted(n.template for n in listed) == sorted(templates)
    assert notifications.recent(session, people["named"])[0] == []


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_sweep_tells_the_chair_of_due_soon_and_missed_dates_and_the_member_of_the_climb(
    app, session, smtp, deliver, people, language
):
    speak(people, language)
    policies = app.extensions["portal.policies"]
    texts = {k: canary(k) for k in ("subject", "narrative", "parties", "outcome")}
    case = file(app, session, people["member"], texts, at(2, 9))
    session.commit()
    deliver(at(2, 9, 5))  # the acknowledgement and the chair's new case
    smtp.mails.clear()

    sweep.sweep(session, policies, at(2, 15, 30))  # the first response is due soon
    session.commit()
    deliver(at(2, 15, 31))
    [due] = smtp.mails
    assert due.to == "chair@example.org"
    expected(due, "due_soon", case.reference, language)

    sweep.sweep(session, policies, at(3, 9, 30))  # missed: the case climbs to level 2
    session.commit()
    deliver(at(3, 9, 31))
    [breach] = smtp.to("chair@example.org")[1:]
    expected(breach, "breached", case.reference, language)
    [climb] = smtp.to("mia@example.org")
    expected(climb, "level_changed", case.reference, language)
    assert smtp.to("named.chair@example.org") == []
    assert [c for m in smtp.mails for c in texts.values() if c in m.everything()] == []


def test_the_committee_never_learns_a_withheld_member_from_a_mail(app, session, smtp, deliver):
    committees = make_policy_committees(session, app.extensions["portal.policies"])
    chair = make_user(session, Role.CHAIR, email="events.chair@example.org")
    seat(
        session,
        committees[app.extensions["portal.policies"].categories["events"].committee],
        chair,
        Seat.CHAIR,
    )
    member = make_user(
        session,
        Role.MEMBER,
        email="hidden.member@example.org",
        name=canary("withheld-name"),
        member_number="M-77001",
    )
    case = intake.file_grievance(
        session,
        member,
        member,
        intake.Filing(
            category="events",
            subject="About the conference",
            narrative="The venue was changed without notice.",
            hide_identity=True,
        ),
        app.extensions["portal.policies"],
        app.extensions["portal.store"],
        app.extensions["portal.upload_rules"],
        now=at(2, 9),
    )
    session.commit()
    deliver(at(2, 10))
    [to_chair] = smtp.to("events.chair@example.org")
    for secret in (member.full_name, member.email, "hidden.member", "M-77001"):
        assert secret not in to_chair.everything().replace(case.reference, "")
    [to_member] = smtp.to("hidden.member@example.org")  # the member is told, of course
    assert case.reference in to_member.subject


def test_the_outbox_and_notification_rows_do_not_join_a_member_to_a_case(app, session, people):
    """The recipient and the reference are sealed: the rows show template names and times."""
    texts = {k: canary(k) for k in ("subject", "narrative", "parties", "outcome")}
    case = file(app, session, people["member"], texts, at(2, 9))
    session.flush()
    values = []
    for table in (OutboxMessage.__table__, Notification.__table__):
        for row in session.execute(sa.select(table)):
            values.extend(
                bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row
            )
    dump = b"\x00".join(values)
    assert dump  # the rows are there
    for secret in (case.reference, "mia@example.org", "chair@example.org"):
        assert secret.encode() not in dump
    assert b"case_acknowledged" in dump  # the template name is plain: the scan reads the rows
