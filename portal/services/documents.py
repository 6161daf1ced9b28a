"""What goes into a case's PDFs, for whom, and the record of every download.

The decision letter and the member's case file are the member's documents: the member
downloads them from their case page, the committee from theirs (who may open the case, as
for the page). Both hold what the member may read and nothing else: their submission, the
public timeline, the messages, the decision; never an internal note. Letters are written
in the member's language, whoever downloads them. Each download is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import InvalidInput, NotFound
from portal.i18n import LANGUAGES, _l
from portal.models.grievances import CaseEvent, Grievance, Message
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import audit, casefile, cases, decisions, merging

LETTER = "letter"
CASE_FILE = "case_file"


@dataclass(frozen=True)
class CaseDocument:
    kind: str  # LETTER or CASE_FILE
    case: Grievance
    language: str
    member_name: str | None  # None: the identity is withheld from whoever downloads it
    decision: decisions.Shown | None
    decisions: list[decisions.Shown]
    appeal: decisions.Appeal | None
    events: list[CaseEvent]
    messages: list[Message]
    by_member: bool
    issued_at: datetime


def _language(member: User | None, policies: PolicySet) -> str:
    saved = member.language if member is not None else None
    return saved if saved in LANGUAGES else policies.languages.default


def _build(
    session: Session,
    kind: str,
    case: Grievance,
    *,
    by_member: bool,
    viewer: User,
    policies: PolicySet,
    now: datetime,
) -> CaseDocument:
    shown = decisions.for_member(case, policies)
    if kind == LETTER and not shown:
        raise InvalidInput(_l("A letter can be made once the grievance is decided."))
    member = viewer if by_member else None
    if member is None and case.member_user_id():
        member = cases.member_of(session, case)
    hidden = case.identity_hidden and not by_member
    combined = merging.combined(case, merging.merged_into(session, case))
    audit.record(
        session,
        None if by_member else viewer,
        f"case.{kind}_downloaded",
        "grievance",
        case.id,
        {"language": _language(member, policies)},
        now=now,
        by_member=by_member,
    )
    return CaseDocument(
        kind=kind,
        case=case,
        language=_language(member, policies),
        member_name=None if hidden or member is None else member.full_name,
        decision=shown[0] if shown else None,
        decisions=shown,
        appeal=decisions.appeal_state(case, policies, now) or _afterwards(case, shown),
        events=[e for e in combined.events if e.public],
        messages=list(combined.messages),
        by_member=by_member,
        issued_at=now,
    )


def _afterwards(case: Grievance, shown: list[decisions.Shown]) -> decisions.Appeal | None:
    """What a letter says about appealing once the case has moved on (closed, appealed)."""
    if not shown:
        return None
    if case.appeal_due_at is None:
        return decisions.Appeal("final", None, None) if not case.appealed_at else None
    return decisions.Appeal("ended", case.appeal_due_at, None)


def for_member(
    session: Session,
    member: User,
    reference: str,
    kind: str,
    policies: PolicySet,
    now: datetime | None = None,
) -> CaseDocument:
    """The member's own letter or case file (NotFound for anyone else's case)."""
    case = cases.member_case(session, member, reference, audit_view=False)
    return _build(
        session, kind, case, by_member=True, viewer=member, policies=policies, now=now or utcnow()
    )


def for_committee(
    session: Session,
    actor: User,
    reference: str,
    kind: str,
    policies: PolicySet,
    now: datetime | None = None,
) -> CaseDocument:
    """The member's letter or case file, for someone who may open the case."""
    case, _standing = casefile.committee_case(session, actor, reference, audit_view=False)
    return _build(
        session, kind, case, by_member=False, viewer=actor, policies=policies, now=now or utcnow()
    )


def check_kind(kind: str) -> str:
    if kind not in (LETTER, CASE_FILE):
        raise NotFound(_l("We could not find that document."))
    return kind
