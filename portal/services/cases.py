"""The member's side of a case: their list, their case page, messages, evidence, withdrawal.

A member can reach only their own cases; anything else is NotFound, so the
existence of other people's cases is never confirmed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload, undefer

from portal.db import PREPARED, utcnow
from portal.domain import sla, workflow
from portal.domain.errors import InvalidInput, NotFound
from portal.domain.roles import Role
from portal.domain.workflow import Mover, Status
from portal.i18n import _l
from portal.models.grievances import (
    RARE_CHILDREN,
    Attachment,
    CaseEvent,
    Grievance,
    Message,
    member_digest,
    settle_rare_children,
)
from portal.models.users import User
from portal.policies.types import Calendar, PolicySet
from portal.services import audit, clock, evidence, timeline
from portal.services.access import require_role
from portal.storage import EvidenceStore

PAGE_SIZE = 20
MAX_MESSAGE = 10000
MAX_REASON = 2000  # a withdrawal's reason


@dataclass(frozen=True)
class NextDate:
    label: str  # "First response due", "Decision due"
    at: datetime
    state: sla.SlaState


def next_date(case: Grievance, policies: PolicySet, now: datetime) -> NextDate | None:
    """The next promise we owe the member on this case, and whether it is at risk."""
    found = clock.pending(case, now, policies.calendar)
    if found is None:
        return None
    if found.target == clock.Target.FIRST_RESPONSE:
        return NextDate(_l("We will respond by"), found.due_at, found.state)
    return NextDate(_l("We aim to decide by"), found.due_at, found.state)


@dataclass(frozen=True)
class CasePage:
    cases: list[Grievance]
    page: int
    pages: int
    total: int


def my_cases(session: Session, member: User, page: int = 1) -> CasePage:
    """The member's own cases, newest activity first; listing them is a read, so it is audited."""
    require_role(member, Role.MEMBER)
    where = Grievance.member_digest == member_digest(member.id)

    def page_of(number: int) -> list[tuple[Grievance, int]]:
        # With the count of all the member's cases on each row: one statement, not two.
        rows = session.execute(
            sa.select(Grievance, sa.func.count().over())
            .where(where)
            .order_by(Grievance.last_activity_at.desc(), Grievance.id)
            .limit(PAGE_SIZE)
            .offset((number - 1) * PAGE_SIZE)
        )
        return [(case, total) for case, total in rows]

    page = max(page, 1)
    found = page_of(page)
    if not found and page > 1:  # past the end (an old link): the last page there is
        total = session.scalar(sa.select(sa.func.count()).where(where)) or 0
        page = max(1, -(-total // PAGE_SIZE))
        found = page_of(page) if total else []
    total = found[0][1] if found else 0
    pages = max(1, -(-total // PAGE_SIZE))
    cases = [case for case, _total in found]
    if cases:
        audit.record(
            session, member, "cases.listed", "user", member.id, {"cases": len(cases), "page": page}
        )
    return CasePage(list(cases), page, pages, total)


def member_case(
    session: Session,
    actor: User,
    reference: str,
    *,
    audit_view: bool = True,
    for_update: bool = False,
) -> Grievance:
    """The member's own case, or NotFound; each view lands in the audit log.

    `for_update` locks the row until commit, so two changes to one case queue
    (PostgreSQL) instead of the second failing on the version check.
    """
    require_role(actor, Role.MEMBER)
    case = session.scalar(
        _member_case_query(for_update),
        {"reference": reference, "digest": member_digest(actor.id)},
    )
    if case is None:
        raise NotFound(_l("We could not find that grievance."))
    settle_rare_children(case)
    if audit_view:
        audit.record(session, actor, "case.viewed", "grievance", case.id, by_member=True)
    return case


@cache
def _member_case_query(for_update: bool) -> sa.Select[tuple[Grievance]]:
    """The member's case page's query, built once with its values as parameters: building
    its options and their cache key on every view cost about as much as running it."""
    stmt = sa.select(Grievance).where(
        Grievance.reference == sa.bindparam("reference"),
        Grievance.member_digest == sa.bindparam("digest"),
    )
    if for_update:
        stmt = stmt.with_for_update(of=Grievance)
    return stmt.options(
        selectinload(Grievance.events),
        selectinload(Grievance.messages),
        selectinload(Grievance.decisions),
        *(undefer(flag) for flag, _children in RARE_CHILDREN),
        joinedload(Grievance.committee),
        undefer(Grievance.has_merged),
        undefer(Grievance.policy_recorded_at),  # the case page names the version's date
        joinedload(Grievance.assignee),
    ).execution_options(**{PREPARED: True})


def public_events(case: Grievance) -> list[CaseEvent]:
    return [e for e in case.events if e.public]


def _check_open(case: Grievance) -> None:
    if not case.is_open:
        label = workflow.info(case.status).label
        raise InvalidInput(
            _l("This grievance is “%(status)s”, so it cannot be changed.", status=label)
        )


def send_message(
    session: Session,
    actor: User,
    case: Grievance,
    body: str,
    uploads: list[evidence.Upload],
    store: EvidenceStore,
    rules: evidence.UploadRules,
    calendar: Calendar,
    now: datetime | None = None,
) -> Message:
    """A message from the member; a reply to a request for information restarts the clock."""
    now = now or utcnow()
    _check_owner(actor, case)
    _check_open(case)
    body = body.strip()
    if not body:
        raise InvalidInput(_l("Write your message before sending it."), "body")
    if len(body) > MAX_MESSAGE:
        raise InvalidInput(
            _l("Please keep a message under %(max)d characters.", max=MAX_MESSAGE), "body"
        )
    checked = evidence.check_uploads(uploads, rules)
    # No author id: the case's member wrote it (see Message).
    message = Message(grievance=case, author=None, from_member=True, sent_at=now)
    message.body = body
    session.add(message)
    evidence.store_uploads(session, store, case, actor, checked, from_member=True, now=now)
    timeline.add_event(case, "message", None, detail="You sent a message", now=now)
    if case.status == Status.AWAITING_MEMBER:
        resume_clock(case, now, calendar)
        timeline.move(
            session, case, Status.UNDER_REVIEW, Mover.MEMBER, None, now=now, by_member=True
        )
    audit.record(
        session,
        actor,
        "case.message",
        "grievance",
        case.id,
        {"files": len(checked)},
        now=now,
        by_member=True,
    )
    return message


def resume_clock(case: Grievance, now: datetime, calendar: Calendar) -> None:
    """End a pause: the working time spent waiting on the member moves the decision date."""
    if case.paused_at is None:
        return
    if case.paused_at < case.resolution_due_at:  # a pause after a missed date excuses nothing
        waited = sla.working_time_between(case.paused_at, now, calendar)
        case.resolution_due_at = sla.extend_due(case.resolution_due_at, waited, calendar)
        case.paused_seconds += int(waited.total_seconds())  # working seconds, as sla_state expects
    case.paused_at = None
    case.due_soon_marked_at = None  # the decision date moved: the sweep judges it afresh


def add_evidence(
    session: Session,
    actor: User,
    case: Grievance,
    uploads: list[evidence.Upload],
    store: EvidenceStore,
    rules: evidence.UploadRules,
    now: datetime | None = None,
) -> list[Attachment]:
    now = now or utcnow()
    _check_owner(actor, case)
    _check_open(case)
    if not uploads:
        raise InvalidInput(_l("Choose at least one file to add."), "evidence")
    checked = evidence.check_uploads(uploads, rules)
    stored = evidence.store_uploads(session, store, case, actor, checked, from_member=True, now=now)
    names = "file" if len(stored) == 1 else "files"
    timeline.add_event(case, "evidence", None, detail=f"You added {len(stored)} {names}", now=now)
    audit.record(
        session,
        actor,
        "case.evidence_added",
        "grievance",
        case.id,
        {"files": len(stored)},
        now=now,
        by_member=True,
    )
    return stored


def member_attachment(
    session: Session, actor: User, case: Grievance, attachment_id: str
) -> Attachment:
    """An attachment of the member's own case that the member may download."""
    _check_owner(actor, case)
    try:
        key = uuid.UUID(attachment_id)
    except ValueError as exc:
        raise NotFound(_l("We could not find that file.")) from exc
    attachment = session.get(Attachment, key)
    if attachment is None or attachment.grievance_id != case.id or not attachment.from_member:
        raise NotFound(_l("We could not find that file."))
    audit.record(
        session,
        actor,
        "case.evidence_downloaded",
        "attachment",
        attachment.id,
        {"case": str(case.id)},
        by_member=True,
    )
    return attachment


def withdraw(
    session: Session,
    actor: User,
    case: Grievance,
    reason: str,
    calendar: Calendar,
    now: datetime | None = None,
) -> None:
    _check_owner(actor, case)
    if not reason.strip():
        raise InvalidInput(_l("Tell us briefly why you are withdrawing."), "reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            _l("Please keep this under %(max)d characters.", max=MAX_REASON), "reason"
        )
    if not workflow.can_move(case.status, Status.WITHDRAWN, Mover.MEMBER):
        label = workflow.info(case.status).label
        raise InvalidInput(
            _l("This grievance is “%(status)s”, so it can no longer be withdrawn.", status=label)
        )
    now = now or utcnow()
    resume_clock(case, now, calendar)
    case.closed_at = now
    timeline.move(
        session,
        case,
        Status.WITHDRAWN,
        Mover.MEMBER,
        None,
        detail=reason.strip(),
        now=now,
        by_member=True,
    )


WITHHELD = _l("Member (identity withheld)")


def member_of(session: Session, case: Grievance) -> User:
    """The member who filed, from the encrypted link (a dump has no plain one)."""
    member = session.get(User, case.member_user_id())
    if member is None:
        raise NotFound(_l("We could not find the member of this grievance."))
    return member


def member_label(session: Session, case: Grievance) -> str:
    """How the committee sees the member who filed; a withheld identity is never decrypted."""
    return WITHHELD if case.identity_hidden else member_of(session, case).full_name


def reveal_identity(
    session: Session, actor: User, case: Grievance, now: datetime | None = None
) -> None:
    """The member agrees to let the committee know who they are; this cannot be undone."""
    _check_owner(actor, case)
    _check_open(case)
    if not case.identity_hidden:
        raise InvalidInput(_l("The committee already knows who you are."))
    # The member link is sealed with the flag, so it is written again under the new one.
    member_ref = case.member_ref
    case.identity_hidden = False
    case.member_ref = member_ref
    timeline.add_event(
        case, "identity_revealed", None, detail="You let the committee see your name", now=now
    )
    audit.record(
        session, actor, "case.identity_revealed", "grievance", case.id, now=now, by_member=True
    )


def _check_owner(actor: User, case: Grievance) -> None:
    if not case.belongs_to(actor):
        raise NotFound(_l("We could not find that grievance."))


def check_owner(actor: User, case: Grievance) -> None:
    """NotFound unless `case` is `actor`'s own (for services acting for the member)."""
    _check_owner(actor, case)
