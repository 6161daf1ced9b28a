"""The mails behind links and surveys, through a real SMTP server in English and Korean: a
reset, an address confirmation, an invitation, a repeated registration, the survey and its
reminder, and "you said, we did". Each reaches the right address in the reader's language
with a link under PORTAL_BASE_URL, and none holds a word of what anyone wrote in a case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.domain.roles import Role
from portal.i18n import translate
from portal.models.committees import Seat
from portal.services import accounts, casefile, decisions, improvements, surveys
from tests.factories import make_case, make_policy_committees, make_user, seat
from tests.mail.test_events import canary

BASE = "http://127.0.0.1:5000"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LINK = re.compile(r"http://127\.0\.0\.1:5000/[^\s\"<>]+")


def in_language(mail, language: str) -> None:  # type: ignore[no-untyped-def]
    assert mail.language == language
    assert bool(HANGUL.search(mail.subject)) == (language == "ko")
    assert bool(HANGUL.search(mail.text)) == (language == "ko")


def links(mail) -> list[str]:  # type: ignore[no-untyped-def]
    found = LINK.findall(mail.text)
    assert found and all(f'href="{u}"' in mail.html for u in found)
    return found


@pytest.mark.parametrize("language", ["en", "ko"])
def test_reset_confirmation_invitation_and_repeated_registration_mails(
    app, session, smtp, deliver, language
):
    now = utcnow()
    known = make_user(session, email="known@example.org")
    known.language = language
    admin = make_user(session, Role.ADMIN, email="admin@example.org")
    accounts.request_password_reset(session, "known@example.org", now=now)
    accounts.request_password_reset(session, "nobody@example.org", now=now)
    accounts.register(
        session,
        full_name=canary("name"),
        email="fresh@example.org",
        member_number=None,
        password="a lantern by the quiet river",
        mode="open",
        language=language,  # the page it was registered on
        now=now,
    )
    accounts.register(
        session,
        full_name=canary("name"),
        email="KNOWN@example.org",
        member_number=None,
        password="a lantern by the quiet river",
        mode="open",
        now=now,
    )
    accounts.invite(
        session,
        admin,
        full_name=canary("invitee"),
        email="invited@example.org",
        member_number=None,
        roles={Role.MEMBER},
        language=language,
        now=now,
    )
    session.commit()

    summary = deliver(now)
    assert summary.failed == [] and smtp.to("nobody@example.org") == []
    by_subject = {m.subject: m for m in smtp.to("known@example.org")}
    reset = by_subject.pop(translate(language, "Set a new password for the grievance portal"))
    repeated = by_subject.pop(translate(language, "Someone tried to register with your details"))
    assert by_subject == {}
    in_language(reset, language)
    assert any(u.startswith(f"{BASE}/set-password/") for u in links(reset))
    in_language(repeated, language)
    assert f"{BASE}/forgot-password" in links(repeated)
    [confirm] = smtp.to("fresh@example.org")
    in_language(confirm, language)
    assert any(u.startswith(f"{BASE}/confirm/") for u in links(confirm))
    [invitation] = smtp.to("invited@example.org")
    in_language(invitation, language)
    assert any(u.startswith(f"{BASE}/set-password/") for u in links(invitation))
    for mail in smtp.mails:
        assert "CANARY" not in mail.everything()  # no name anyone typed


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_survey_its_reminder_and_a_you_said_we_did_note_by_mail(
    app, session, smtp, deliver, language
):
    policies = app.extensions["portal.policies"]
    committees = make_policy_committees(session, policies)
    chair = make_user(session, Role.CHAIR, email="chair@example.org")
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org")
    seat(session, committees["member-services"], chair, Seat.CHAIR)
    seat(session, committees["member-services"], reviewer)
    member = make_user(session, Role.MEMBER, email="mia@example.org", name=canary("member"))
    member.language = language
    filed = utcnow() - timedelta(days=20)
    case = make_case(
        app,
        session,
        member,
        now=filed,
        subject=canary("subject"),
        narrative=canary("narrative"),
        people_involved=canary("parties"),
    )
    case.assignee_id = reviewer.id
    decisions.record_decision(
        session,
        reviewer,
        case,
        casefile.reachable(session, reviewer, case),
        outcome="upheld",
        rationale=canary("rationale"),
        remedy=canary("remedy"),
        clauses=["remedies"],
        policies=policies,
        now=filed + timedelta(days=1),
    )
    sent_at = filed + timedelta(days=4)
    surveys.sweep(session, policies, sent_at)
    surveys.sweep(session, policies, sent_at + timedelta(days=7))
    improvements.publish(
        session,
        chair,
        improvements.Note(
            language="en",
            categories=["billing"],
            titles={"en": "Clearer reminders", "ko": "더 알기 쉬운 안내문"},
            bodies={"en": "We changed the reminders.", "ko": "안내문을 바꿨습니다."},
        ),
        policies,
        now=sent_at + timedelta(days=8),
    )
    session.commit()

    assert deliver(sent_at + timedelta(days=8)).failed == []
    ref = case.reference
    by_subject = {m.subject: m for m in smtp.to("mia@example.org")}
    invitation = by_subject[
        translate(language, "%(ref)s: how did we handle your grievance?", ref=ref)
    ]
    reminder = by_subject[
        translate(language, "%(ref)s: a reminder about our short survey", ref=ref)
    ]
    for mail in (invitation, reminder):
        in_language(mail, language)
        [link] = [u for u in links(mail) if "/survey/" in u]
        assert link.startswith(f"{BASE}/survey/")
    assert links(invitation) != links(reminder)  # a token each
    title = "더 알기 쉬운 안내문" if language == "ko" else "Clearer reminders"
    note = by_subject[translate(language, "You said, we did: %(title)s", title=title)]
    in_language(note, language)
    assert any(u.startswith(f"{BASE}/you-said-we-did#note-") for u in links(note))
    for mail in smtp.mails:
        assert "CANARY" not in mail.everything()
