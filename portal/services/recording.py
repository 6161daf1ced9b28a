"""What only staff recording a grievance add: when it was received, and their own note.

The time it was received starts the clock (the due dates are computed from it), not the
moment staff finish typing. It may not lie in the future, nor more than `MAX_AGE` back: a
grievance older than that is recorded with today's date and the delay explained in the note,
so that no case is entered already overdue by mistake (a mistyped year, for example).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.domain.errors import InvalidInput, NotFound
from portal.i18n import _l
from portal.models.grievances import Grievance, InternalNote
from portal.models.users import User
from portal.services import audit
from portal.services.duties import require_casework

MAX_AGE = timedelta(days=30)
# Staff clocks and the server's differ a little; a minute ahead is "now", not the future.
SKEW = timedelta(minutes=5)
MAX_NOTE = 20000


def check_received(received: datetime | None, now: datetime) -> datetime:
    """When the grievance reached us (aware datetime), or `now` when staff gave none."""
    if received is None:
        return now
    if received.tzinfo is None:
        raise ValueError("the time received must carry its time zone")
    if received > now + SKEW:
        raise InvalidInput(_l("The time it was received cannot be in the future."), "received_at")
    if received < now - MAX_AGE:
        raise InvalidInput(
            _l(
                "Record grievances received in the last %(days)d days. For an older one, "
                "give today's date and explain the delay in the internal note.",
                days=MAX_AGE.days,
            ),
            "received_at",
        )
    return min(received, now)


def check_note(note: str) -> None:
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            _l("Please keep this under %(max)d characters.", max=MAX_NOTE), "internal_note"
        )


def add_internal_note(case: Grievance, author: User, text: str, now: datetime) -> None:
    """The staff's own note, encrypted, never shown to the member."""
    if not text.strip():
        return
    note = InternalNote(author=author, created_at=now)
    case.notes.append(note)
    note.body = text.strip()


@dataclass(frozen=True)
class Recorded:
    """The confirmation staff read after recording: whom it is for and how they claim it."""

    case: Grievance
    name: str
    account: bool  # whether the person has an account (else they claim it with the code)
    claim_code: str | None  # only for a person without an account who gave an email
    contact: str


def recorded_case(session: Session, actor: User, reference: str) -> Recorded:
    """A case `actor` recorded, for their confirmation page; anyone else gets NotFound.
    Reading it is audited."""
    from portal.services import cases, claims

    require_casework(actor)
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == reference))
    if case is None or case.recorded_by_id != actor.id:
        raise NotFound(_l("We could not find that grievance."))
    claimant = claims.claimant_of(session, case)
    if claimant is not None and claimant.claimed_at is None:
        contact = " · ".join(c for c in (claimant.email, claimant.phone) if c)
        code = claims.claim_code(case) if claimant.email else None
        found = Recorded(case, claimant.full_name or "", False, code, contact)
    else:
        member = cases.member_of(session, case)
        contact = " · ".join(c for c in (member.email, member.member_number) if c)
        found = Recorded(case, member.full_name, True, None, contact)
    audit.record(session, actor, "case.viewed", "grievance", case.id)
    return found
