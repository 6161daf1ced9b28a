"""The demo's surveys and "you said, we did": member services has a history of decided cases
whose members answered the survey (enough for its chair to see figures, and one low score
waiting as a follow-up), the insurance decision's survey is in the outbox, and the chair
has published one note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa

from portal.domain.workflow import Status
from portal.models.grievances import Grievance
from portal.models.surveys import SurveyInvitation
from portal.services import improvements, surveys
from portal.services.demo_cases import Demo, Story, file_story
from portal.services.evidence import UploadRules
from portal.storage import EvidenceStore

CHAIR = "chair.member-services@demo.example"


@dataclass(frozen=True)
class Answered:
    """A closed case of the past and what its member answered."""

    story: Story
    reviewer: str
    outcome: str
    scores: tuple[int, int, int, int]  # outcome, process, fairness, recommend
    comment: str = ""


def _worked(reviewer: str, outcome: str, decided_days: float):  # type: ignore[no-untyped-def]
    def then(demo: Demo, case: Grievance) -> None:
        filed = (demo.now - case.submitted_at).total_seconds() / 86400
        demo.assign(CHAIR, case, reviewer, filed - 0.5)
        demo.reply(reviewer, case, filed - 1)
        demo.decide(
            reviewer,
            case,
            outcome,
            decided_days,
            rationale="We looked at the records and the member's account and decided as set out.",
            clause="service-standards",
        )
        demo.move(CHAIR, case, Status.CLOSED, decided_days - 10)

    return then


def _history(member: str, category: str, subject: str, days: float) -> Story:
    return Story(member, category, subject, "From the demo's past: " + subject.lower() + ".", days)


HISTORY = [
    Answered(
        _history("member05@demo.example", "billing", "Renewal invoice sent twice", 160),
        "reviewer3@demo.example",
        "upheld",
        (5, 4, 5, 9),
        "Quick and clear. Thank you.",
    ),
    Answered(
        _history("member06@demo.example", "benefits", "Legal helpline number out of date", 140),
        "reviewer4@demo.example",
        "upheld",
        (4, 4, 4, 8),
    ),
    Answered(
        _history("member08@demo.example", "events", "Exam room too cold to write", 120),
        "reviewer3@demo.example",
        "partly-upheld",
        (3, 4, 4, 7),
        "The decision was fair, but it took a while to hear anything.",
    ),
    Answered(
        _history("member10@demo.example", "billing", "Direct debit taken early", 100),
        "reviewer4@demo.example",
        "not-upheld",
        (2, 3, 3, 5),
        "I still think the office should have warned us before changing the date.",
    ),
    Answered(
        _history("member12@demo.example", "events", "Workshop moved without notice", 80),
        "reviewer3@demo.example",
        "resolved-by-agreement",
        (5, 5, 5, 10),
        "",
    ),
]


def seed_surveys(demo: Demo, store: EvidenceStore, rules: UploadRules) -> int:
    """The history above (filed, decided, closed, answered), the survey due now on the
    insurance decision, and one published note. Returns the grievances filed."""
    session, policies = demo.session, demo.policies
    for past in HISTORY:
        days = past.story.days_ago
        story = replace(past.story, then=_worked(past.reviewer, past.outcome, days - 12))
        case = file_story(demo, story, store, rules)
        at = demo.ago(days - 14)
        token = surveys.open_without_mail(session, case, policies, at)
        outcome, process, fairness, recommend = past.scores
        surveys.submit(
            session,
            token,
            surveys.Answers(outcome, process, fairness, recommend, past.comment),
            policies,
            now=demo.ago(days - 15),
        )
    # The insurance decision (two days old) has its survey in the outbox: the demo does not
    # wait the working day survey.toml asks for, so a newcomer can answer it from the mail.
    decided = demo.find("Insurance benefit refused as a late claim")
    invitation = session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.grievance_id == decided.id)
    )
    if invitation is not None:
        invitation.send_at = min(invitation.send_at, demo.now)
    surveys.sweep(session, policies, demo.now)
    chair = demo.user(CHAIR)
    improvements.publish(
        session,
        chair,
        improvements.Note(
            language="en",
            categories=["billing"],
            titles={
                "en": "Dues reminders now say what is owed and why",
                "ko": "회비 안내문에 청구 금액과 사유를 함께 적습니다",
            },
            bodies={
                "en": "Several of you told us that a reminder or a late fee arrived without "
                "saying what it was for.\n\nFrom this month every reminder lists the dues, any "
                "fee and the date each was due, and a late fee is only charged after a second "
                "reminder.",
                "ko": "안내문이나 연체료가 무엇 때문인지 알 수 없었다는 말씀을 여러 분께 들었습니다."
                "\n\n이번 달부터 모든 안내문에 회비, 수수료, 각각의 납부 기한을 적고, 연체료는 두 번째 "
                "안내 뒤에만 청구합니다.",
            },
        ),
        policies,
        now=demo.ago(3),
    )
    return len(HISTORY)
