"""Duplicates: a case merged into another open case of the same member.

The merged case is closed and points to the one that survives (`merged_into_id`); both
timelines say so to the member. Nothing is copied: each case keeps its own rows under its
own data key (a field's ciphertext is bound to its row and its case's key), and the
survivor's pages show the merged cases' timeline events, messages and files together with
its own (`merged_into`, `combined`). So the merge moves no ciphertext and no file, and
cannot be half done.

Only a chair of the case's committee or its assignee merges, into a case they can open
themselves. Whether a reference belongs to another member, is closed or does not exist is
one and the same refusal, so the form never confirms that someone else's case exists.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.db import utcnow
from portal.domain import workflow
from portal.domain.errors import InvalidInput
from portal.domain.workflow import Status
from portal.i18n import _l
from portal.models.grievances import (
    Attachment,
    CaseEvent,
    Grievance,
    Message,
    PartyIndex,
    Recusal,
)
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import audit, casefile, notify, recusals, timeline
from portal.services.casefile import Standing

REFUSED = _l(
    "There is no open case of the same member with that reference that you can work on. "
    "Check the reference."
)


def may_merge(actor: User, case: Grievance, standing: Standing) -> bool:
    """Whether the merge form is offered: to a chair or the assignee, on a case that can go."""
    return (
        (standing.is_chair or case.assignee_id == actor.id)
        and case.merged_into_id is None
        and Status(case.status) in workflow.MERGEABLE
    )


def _clean(reference: str) -> str:
    return reference.strip().upper()[:20]


def survivor(
    session: Session, actor: User, case: Grievance, standing: Standing, reference: str
) -> Grievance:
    """The case `case` would be merged into, after every check; InvalidInput otherwise."""
    if not (standing.is_chair or case.assignee_id == actor.id):
        raise InvalidInput(
            _l("Only a chair of the committee or the reviewer handling this case can merge it.")
        )
    if case.merged_into_id is not None or Status(case.status) not in workflow.MERGEABLE:
        raise InvalidInput(
            _l(
                "This grievance is “%(status)s”, so it cannot be merged.",
                status=workflow.info(case.status).label,
            )
        )
    wanted = _clean(reference)
    if not wanted:
        raise InvalidInput(
            _l("Enter the reference of the case to keep, for example GRV-2026-000123."), "into"
        )
    if wanted == case.reference:
        raise InvalidInput(
            _l("Enter the reference of another case: a case cannot be merged into itself."),
            "into",
        )
    target = session.scalar(sa.select(Grievance).where(Grievance.reference == wanted))
    if (
        target is None
        or not hmac.compare_digest(bytes(target.member_digest), bytes(case.member_digest))
        or not target.is_open
        or target.merged_into_id is not None
        or casefile.reachable(session, actor, target) is None
    ):
        raise InvalidInput(REFUSED, "into")
    return target


def merge(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    reference: str,
    policies: PolicySet,
    now: datetime | None = None,
) -> Grievance:
    """Merge `case` (locked by the caller) into the open case `reference`; returns it.

    The merged case is closed with closed_at, a public status event and a public "merged
    into" event; the survivor gets a public "merged from" event. The survivor's row changes
    too (its last activity), so a concurrent change to it fails its version check."""
    target = survivor(session, actor, case, standing, reference)
    now = now or utcnow()
    _carry_conflicts(session, case, target)
    before = case.status
    case.status = Status.CLOSED.value
    case.is_open = workflow.info(Status.CLOSED).open
    case.closed_at = now
    case.due_soon_marked_at = None
    case.merged_into_id = target.id
    case.merged_into = target
    timeline.add_event(
        case,
        "status",
        actor,
        detail=f"Merged into {target.reference}",
        from_status=before,
        to_status=Status.CLOSED.value,
        now=now,
    )
    timeline.add_event(
        case, "merged_into", actor, detail=f"Merged into {target.reference}", now=now
    )
    timeline.add_event(
        target,
        "merged_from",
        actor,
        detail=f"{case.reference} was merged into this case",
        now=now,
    )
    session.flush()
    # Whoever could not judge the duplicate cannot judge the survivor that now holds it.
    recusals.hand_on(session, target, policies, actor, now)
    notify.status_changed(session, case, now)  # the duplicate is closed
    audit.record(
        session,
        actor,
        "case.merged",
        "grievance",
        case.id,
        {"into": str(target.id), "from": before, "to": Status.CLOSED.value},
        now=now,
    )
    return target


def _carry_conflicts(session: Session, case: Grievance, target: Grievance) -> None:
    """The survivor shows the duplicate's content, so the people named in the duplicate and
    those who stepped back from it are conflicted on the survivor too."""
    named = {(p.kind, bytes(p.digest)) for p in _parties(session, target)}
    for party in _parties(session, case):
        if (party.kind, bytes(party.digest)) not in named:
            session.add(PartyIndex(grievance_id=target.id, kind=party.kind, digest=party.digest))
    recused = set(
        session.scalars(sa.select(Recusal.user_id).where(Recusal.grievance_id == target.id))
    )
    for user_id in session.scalars(
        sa.select(Recusal.user_id).where(Recusal.grievance_id == case.id)
    ):
        if user_id not in recused:
            session.add(Recusal(grievance_id=target.id, user_id=user_id))


def _parties(session: Session, case: Grievance) -> list[PartyIndex]:
    return list(session.scalars(sa.select(PartyIndex).where(PartyIndex.grievance_id == case.id)))


def merged_into(session: Session, case: Grievance) -> list[Grievance]:
    """The cases merged into `case`, with what their pages show, in a fixed few queries
    (none when `case` was loaded with `has_merged` and it has none)."""
    if not case.has_merged:
        return []
    return list(
        session.scalars(
            sa.select(Grievance)
            .where(Grievance.merged_into_id == case.id)
            .order_by(Grievance.submitted_at, Grievance.id)
            .options(
                selectinload(Grievance.events).selectinload(CaseEvent.actor),
                selectinload(Grievance.messages).selectinload(Message.author),
                selectinload(Grievance.attachments),
            )
        )
    )


@dataclass
class Combined:
    """A case's timeline, messages and files together with those of the cases merged into it,
    each in time order; an item's own case is `item.grievance`."""

    events: list[CaseEvent] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    merged_ids: set[uuid.UUID] = field(default_factory=set)


def combined(case: Grievance, merged: list[Grievance]) -> Combined:
    everything = [case, *merged]
    return Combined(
        events=sorted((e for c in everything for e in c.events), key=lambda e: e.at),
        messages=sorted((m for c in everything for m in c.messages), key=lambda m: m.sent_at),
        attachments=sorted(
            (a for c in everything for a in c.attachments), key=lambda a: a.uploaded_at
        ),
        merged_ids={c.id for c in merged},
    )
