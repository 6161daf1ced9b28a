"""Related cases, linked for the committee: never shown to the member.

A link is two CaseLink rows, one each way, so each case lists the other. A person sees the
linked cases they may open themselves (reference and subject), and no trace of the others.
Linking and unlinking are audited.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import InvalidInput
from portal.i18n import _l
from portal.models.grievances import CaseLink, Grievance, says_none
from portal.models.users import User
from portal.services import audit, casefile

NOT_FOUND = _l("We could not find a case with that reference that you can open.")


def _other(session: Session, actor: User, case: Grievance, reference: str) -> Grievance:
    wanted = reference.strip().upper()[:20]
    if not wanted:
        raise InvalidInput(
            _l("Enter the reference of the related case, for example GRV-2026-000123."),
            "reference",
        )
    if wanted == case.reference:
        raise InvalidInput(_l("Enter the reference of another case."), "reference")
    other = session.scalar(sa.select(Grievance).where(Grievance.reference == wanted))
    if other is None or casefile.reachable(session, actor, other) is None:
        raise InvalidInput(NOT_FOUND, "reference")
    return other


def _rows(session: Session, case: Grievance, other: Grievance) -> list[CaseLink]:
    return list(
        session.scalars(
            sa.select(CaseLink).where(
                sa.or_(
                    sa.and_(CaseLink.grievance_id == case.id, CaseLink.linked_id == other.id),
                    sa.and_(CaseLink.grievance_id == other.id, CaseLink.linked_id == case.id),
                )
            )
        )
    )


def _forget_flags(session: Session, *cases: Grievance) -> None:
    """A case loaded before it was linked says it has no links: ask again when read."""
    for case in cases:
        session.expire(case, ["has_links"])


def link(
    session: Session, actor: User, case: Grievance, reference: str, now: datetime | None = None
) -> Grievance:
    """Link `case` (opened by `actor`) with the case `reference`, which they may open too."""
    other = _other(session, actor, case, reference)
    if _rows(session, case, other):
        raise InvalidInput(
            _l("%(ref)s is already linked to this case.", ref=other.reference), "reference"
        )
    now = now or utcnow()
    for one, two in ((case, other), (other, case)):
        session.add(CaseLink(grievance_id=one.id, linked_id=two.id, by_id=actor.id, at=now))
    session.flush()
    _forget_flags(session, case, other)
    audit.record(
        session, actor, "case.linked", "grievance", case.id, {"other": str(other.id)}, now=now
    )
    return other


def unlink(
    session: Session, actor: User, case: Grievance, reference: str, now: datetime | None = None
) -> Grievance:
    """Remove the link between `case` and the case `reference` (both ways)."""
    other = _other(session, actor, case, reference)
    rows = _rows(session, case, other)
    if not rows:
        raise InvalidInput(
            _l("%(ref)s is not linked to this case.", ref=other.reference), "reference"
        )
    for row in rows:
        session.delete(row)
    session.flush()
    audit.record(
        session, actor, "case.unlinked", "grievance", case.id, {"other": str(other.id)}, now=now
    )
    return other


def linked(session: Session, viewer: User, case: Grievance) -> list[Grievance]:
    """The cases linked to `case` that `viewer` may open, by reference; two queries, none
    when the case was loaded with `has_links` and has none."""
    if says_none(case, "has_links"):
        return []
    ids = set(
        session.scalars(sa.select(CaseLink.linked_id).where(CaseLink.grievance_id == case.id))
    )
    visible = casefile.openable_ids(session, viewer, ids)
    if not visible:
        return []
    return list(
        session.scalars(
            sa.select(Grievance).where(Grievance.id.in_(visible)).order_by(Grievance.reference)
        )
    )
