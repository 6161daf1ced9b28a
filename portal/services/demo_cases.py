"""The demo grievances: one story per state, so a newcomer sees the whole process.

Every case is filed and worked through the same services the pages use, at moments in the
past (`now=`), so timelines, clocks, audit entries and panels are what real use leaves
behind. Between them they hold every open status and the final ones, every level of the
ladder, and every deadline state: on track, due soon, overdue and paused; a decided case
inside its appeal window, an appeal before the panel with one vote cast, a case whose
identity is withheld, one naming a demo reviewer as a party (he never sees it), a duplicate
merged into its first case, and two related cases linked.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain import sla
from portal.domain.workflow import Status
from portal.models.grievances import Grievance, PanelSeat
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import (
    casefile,
    cases,
    casework,
    decisions,
    escalation,
    extensions,
    linking,
    merging,
    panels,
    panels_vote,
    reassign,
    replies,
)
from portal.services.evidence import Upload, UploadRules
from portal.services.intake import Filing, file_grievance
from portal.storage import EvidenceStore

STATEMENT = b"Statement, March\n02 Mar  Annual dues  -245.00\n02 Mar  Annual dues  -245.00\n"


@dataclass
class Story:
    """One demo grievance: who files it, what it says, how long ago, and what happens next."""

    member: str  # demo email
    category: str
    subject: str
    narrative: str
    days_ago: float
    channel: str = "web"
    hidden: bool = False
    parties: list[str] = field(default_factory=list)
    files: bool = False
    then: Callable[[Demo, Grievance], None] | None = None


class Demo:
    """What the stories need: the session, policies, the accounts by email, and the clock."""

    def __init__(self, session: Session, policies: PolicySet) -> None:
        self.session, self.policies, self.now = session, policies, utcnow()
        self._users: dict[str, User] = {}

    def user(self, email: str) -> User:
        if email not in self._users:
            found = self.session.scalar(sa.select(User).where(User.email_key == email))
            if found is None:
                raise LookupError(f"no demo account {email}")
            self._users[email] = found
        return self._users[email]

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def standing(self, email: str, case: Grievance) -> tuple[User, casefile.Standing]:
        person = self.user(email)
        found = casefile.reachable(self.session, person, case)
        if found is None:
            raise LookupError(f"{email} cannot act on {case.reference}")
        return person, found

    def assign(self, chair: str, case: Grievance, reviewer: str, days: float) -> None:
        actor, standing = self.standing(chair, case)
        reassign.assign(
            self.session, actor, case, standing, self.user(reviewer).id, now=self.ago(days)
        )

    def reply(self, email: str, case: Grievance, days: float, slug: str | None = None) -> None:
        actor, standing = self.standing(email, case)
        body = _canned(self, case, slug) if slug else "Thank you; we are looking into this."
        casework.send_reply(
            self.session,
            actor,
            case,
            standing,
            body,
            response=slug,
            now=self.ago(days),
            calendar=self.policies.calendar,
        )

    def note(self, email: str, case: Grievance, body: str, days: float) -> None:
        actor, standing = self.standing(email, case)
        casework.add_note(self.session, actor, case, standing, body, now=self.ago(days))

    def ask(self, email: str, case: Grievance, body: str, days: float) -> None:
        actor, standing = self.standing(email, case)
        casework.request_information(
            self.session,
            actor,
            case,
            standing,
            body,
            response="awaiting-member",
            now=self.ago(days),
            calendar=self.policies.calendar,
        )

    def decide(self, email: str, case: Grievance, outcome: str, days: float, **text: str) -> None:
        actor, standing = self.standing(email, case)
        decisions.record_decision(
            self.session,
            actor,
            case,
            standing,
            outcome=outcome,
            rationale=text.get("rationale", ""),
            remedy=text.get("remedy", ""),
            clauses=[text.get("clause", "fair-hearing")],
            policies=self.policies,
            now=self.ago(days),
        )

    def find(self, subject: str) -> Grievance:
        """A demo case filed earlier, by its subject (decrypted: the demo holds a handful)."""
        for case in self.session.scalars(sa.select(Grievance)):
            if case.subject == subject:
                return case
        raise LookupError(subject)

    def move(self, email: str, case: Grievance, target: Status, days: float) -> None:
        actor, standing = self.standing(email, case)
        casefile.move(self.session, actor, case, standing, target.value, now=self.ago(days))


def _canned(demo: Demo, case: Grievance, slug: str) -> str:
    return replies.canned_text(demo.session, case, slug, demo.policies)


# --- what happens to each story after filing ---------------------------------------------


def _awaiting(demo: Demo, case: Grievance) -> None:
    demo.assign("chair.member-services@demo.example", case, "reviewer3@demo.example", 8.5)
    demo.ask(
        "reviewer3@demo.example",
        case,
        "Could you upload the card statement showing both charges, and the date you wrote to "
        "the office? While we wait for you the clock on our dates is paused.",
        7,
    )


def _under_review_withheld(demo: Demo, case: Grievance) -> None:
    demo.assign("chair.ethics@demo.example", case, "reviewer2@demo.example", 0.8)
    demo.reply("reviewer2@demo.example", case, 0.7)
    demo.note(
        "reviewer2@demo.example",
        case,
        "Tender scoring sheets requested from the procurement office; the member asked not to "
        "be named.",
        0.6,
    )


def _investigating(demo: Demo, case: Grievance) -> None:
    demo.assign("chair.governance@demo.example", case, "reviewer5@demo.example", 1.8)
    demo.reply("reviewer5@demo.example", case, 1.7)
    demo.move("reviewer5@demo.example", case, Status.INVESTIGATING, 1.5)


def _decided(demo: Demo, case: Grievance) -> None:
    demo.assign("chair.member-services@demo.example", case, "reviewer4@demo.example", 11)
    demo.reply("reviewer4@demo.example", case, 10)
    demo.move("reviewer4@demo.example", case, Status.INVESTIGATING, 9)
    demo.note(
        "reviewer4@demo.example",
        case,
        "Insurer confirms the claim form was sent to an old address.",
        5,
    )
    demo.decide(
        "reviewer4@demo.example",
        case,
        "partly-upheld",
        2,
        rationale="The benefit was refused because the claim form reached us late, and it was "
        "late because we sent it to your old address. The late-claim rule should not have been "
        "applied; the amount itself was assessed correctly.",
        remedy="Your claim will be reassessed without the late-claim deduction within ten "
        "working days.",
        clause="service-standards",
    )


def _high_risk(demo: Demo, case: Grievance) -> None:
    demo.assign("chair.ethics@demo.example", case, "reviewer1@demo.example", 0.9)
    demo.reply("reviewer1@demo.example", case, 0.85)


def _appealed(demo: Demo, case: Grievance) -> None:
    demo.assign("chair.ethics@demo.example", case, "reviewer2@demo.example", 28)
    demo.reply("reviewer2@demo.example", case, 27)
    demo.move("reviewer2@demo.example", case, Status.INVESTIGATING, 26)
    demo.decide(
        "reviewer2@demo.example",
        case,
        "not-upheld",
        9,
        rationale="The course provider confirmed the hours claimed; we found no misleading claim.",
        clause="code-of-conduct",
    )
    member = demo.user(case_member_email(demo, case))
    escalation.appeal(
        demo.session,
        member,
        case,
        "The provider's confirmation was signed by the colleague himself.",
        demo.policies,
        now=demo.ago(5),
    )
    # One of the panel has voted; a second matching vote decides (sign in as a panel member).
    seated = sorted((s.user for s in panels_seats(demo, case)), key=lambda u: u.email_key)
    if seated:
        panels_vote.cast_vote(
            demo.session,
            seated[0],
            case,
            "upheld",
            "A confirmation signed by the person complained about cannot settle the question.",
            demo.policies,
            now=demo.ago(2),
        )


def _named_reviewer(demo: Demo, case: Grievance) -> None:
    # Tom Walsh (reviewer1) is named: he is kept out; Aisha handles it.
    demo.assign("chair.ethics@demo.example", case, "reviewer2@demo.example", 4.5)
    demo.reply("reviewer2@demo.example", case, 4.4)
    chair = demo.user("chair.ethics@demo.example")
    related = demo.find("Misleading CPD claims by a colleague")
    linking.link(demo.session, chair, case, related.reference, now=demo.ago(4))


def _extended(demo: Demo, case: Grievance) -> None:
    demo.assign("chair.member-services@demo.example", case, "reviewer3@demo.example", 19)
    demo.reply("reviewer3@demo.example", case, 18)
    demo.move("reviewer3@demo.example", case, Status.INVESTIGATING, 17)
    chair, _standing = demo.standing("chair.member-services@demo.example", case)
    extensions.extend(
        demo.session,
        chair,
        case,
        "The venue's refund records are held by the conference organiser, who has promised "
        "them by the end of next week.",
        demo.policies,
        days=5,
        now=demo.ago(3),
    )


def _duplicate(demo: Demo, case: Grievance) -> None:
    chair, standing = demo.standing("chair.member-services@demo.example", case)
    survivor = demo.find("Conference cancelled, no refund")
    merging.merge(
        demo.session, chair, case, standing, survivor.reference, demo.policies, now=demo.ago(2)
    )


def _withdrawn(demo: Demo, case: Grievance) -> None:
    member = demo.user(case_member_email(demo, case))
    cases.withdraw(
        demo.session,
        member,
        case,
        "The office refunded the fee the same day. Thank you.",
        demo.policies.calendar,
        now=demo.ago(4),
    )


def _closed(demo: Demo, case: Grievance) -> None:
    demo.assign("chair.member-services@demo.example", case, "reviewer4@demo.example", 44)
    demo.reply("reviewer4@demo.example", case, 43)
    demo.decide(
        "reviewer4@demo.example",
        case,
        "upheld",
        40,
        rationale="The directory listed your old practice address after you had updated it.",
        remedy="The listing is corrected and the printed directory will carry an erratum.",
        clause="service-standards",
    )
    demo.move("chair.member-services@demo.example", case, Status.CLOSED, 1)


def _reopened(demo: Demo, case: Grievance) -> None:
    _closed(demo, case)
    demo.move("chair.member-services@demo.example", case, Status.REOPENED, 0.5)


def case_member_email(demo: Demo, case: Grievance) -> str:
    return cases.member_of(demo.session, case).email_key


def panels_seats(demo: Demo, case: Grievance) -> list[PanelSeat]:
    return panels.seats_at(demo.session, case, case.escalation_level)


def due_soon_age(policies: PolicySet, category: str, now: datetime) -> float:
    """How many days ago a case of `category` must have been filed to be due soon now."""
    priority = policies.priorities[policies.categories[category].default_priority]
    calendar = policies.calendar
    for minutes in range(30, 60 * 24 * 14, 30):
        filed = now - timedelta(minutes=minutes)
        due, _resolution = sla.due_dates(filed, priority, calendar)
        if sla.sla_state(filed, due, now, calendar) == sla.SlaState.DUE_SOON:
            return minutes / (60 * 24)
    return 0.2


STORIES = [
    Story(
        "member01@demo.example",
        "billing",
        "Charged twice for this year's dues",
        "My card was charged twice for the annual dues on 2 March. I wrote to the office but "
        "had no answer.",
        9,
        files=True,
        then=_awaiting,
    ),
    Story(
        "member01@demo.example",
        "events",
        "Seminar certificate never arrived",
        "I attended the spring ethics seminar but my CPD certificate was never sent.",
        0.3,
    ),
    Story(
        "member02@demo.example",
        "ethics",
        "Conflict of interest in a tender",
        "A board member scored a tender submitted by a firm owned by his brother.",
        1,
        hidden=True,
        then=_under_review_withheld,
    ),
    Story(
        "member03@demo.example",
        "governance",
        "Ballot papers did not arrive",
        "Phoned in: three members in the northern region never received ballot papers.",
        2,
        channel="phone",
        then=_investigating,
    ),
    Story(
        "member04@demo.example",
        "benefits",
        "Insurance benefit refused as a late claim",
        "My professional indemnity claim was refused as late, but the claim form was sent to "
        "an address I left two years ago.",
        12,
        then=_decided,
    ),
    Story(
        "member05@demo.example",
        "billing",
        "Late fee charged although I paid on time",
        "I paid my dues on 28 January by bank transfer and was still charged a late fee.",
        25,
    ),
    Story(
        "member06@demo.example",
        "harassment",
        "Harassed at the regional meeting",
        "A senior member harassed me during and after the regional meeting, and again by phone.",
        1,
        then=_high_risk,
    ),
    Story(
        "member07@demo.example",
        "ethics",
        "Misleading CPD claims by a colleague",
        "A colleague advertises CPD hours for a course he did not complete.",
        30,
        then=_appealed,
    ),
    Story(
        "member08@demo.example",
        "ethics",
        "A reviewer's firm advised the other side",
        "In my fee dispute the other side was advised by Walsh & Partners, whose partner Tom "
        "Walsh sits on the ethics committee.",
        5,
        parties=["reviewer1@demo.example"],
        then=_named_reviewer,
    ),
    Story(
        "member09@demo.example",
        "events",
        "Conference cancelled, no refund",
        "The autumn conference was cancelled and my registration fee has not been refunded.",
        20,
        then=_extended,
    ),
    Story(
        "member09@demo.example",
        "events",
        "Refund for the cancelled autumn conference",
        "I wrote before about the cancelled conference: still no refund of my fee.",
        4,
        then=_duplicate,
    ),
    Story(
        "member10@demo.example",
        "billing",
        "Card surcharge on my renewal",
        "I was charged a 2% surcharge for paying my renewal by card.",
        6,
        then=_withdrawn,
    ),
    Story(
        "member11@demo.example",
        "benefits",
        "Wrong address in the members' directory",
        "The directory still lists my old practice address, months after I updated it.",
        45,
        then=_closed,
    ),
    Story(
        "member12@demo.example",
        "benefits",
        "Directory correction not printed",
        "The directory correction promised in the last decision has not appeared.",
        46,
        then=_reopened,
    ),
]


def seed_cases(
    session: Session, policies: PolicySet, store: EvidenceStore, rules: UploadRules
) -> int:
    """File and work the demo grievances; flushes, never commits. Returns how many."""
    demo = Demo(session, policies)
    stories = [*STORIES, _due_soon_story(policies, demo.now)]
    for story in stories:
        file_story(demo, story, store, rules)
    return len(stories)


def file_story(demo: Demo, story: Story, store: EvidenceStore, rules: UploadRules) -> Grievance:
    """File one story's grievance as its member (or staff, by phone), then play the rest."""
    member = demo.user(story.member)
    filing = Filing(
        category=story.category,
        subject=story.subject,
        narrative=story.narrative,
        channel=story.channel,
        hide_identity=story.hidden,
        party_emails=list(story.parties),
    )
    if story.files:
        filing.uploads = [Upload("bank-statement.txt", io.BytesIO(STATEMENT))]
    actor = member if story.channel == "web" else demo.user("reviewer5@demo.example")
    case = file_grievance(
        demo.session,
        actor,
        member,
        filing,
        demo.policies,
        store,
        rules,
        now=demo.ago(story.days_ago),
    )
    if story.then is not None:
        story.then(demo, case)
    demo.session.flush()
    return case


def _due_soon_story(policies: PolicySet, now: datetime) -> Story:
    return Story(
        "member03@demo.example",
        "events",
        "Exam results sent to the wrong person",
        "My exam results letter was opened by a colleague with the same surname.",
        due_soon_age(policies, "events", now),
    )
