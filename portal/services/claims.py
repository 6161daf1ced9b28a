"""Cases recorded for someone without an account, and claiming them at registration.

A case recorded for a person with no account belongs to nobody: its member digest is bound
to the case and to a keyed index of the person's email (`unclaimed_digest`), so it shows up in
no one's list. The office tells the person the case's claim code, an HMAC of the case id under
a key derived from the index root (nothing secret is stored). When they register with that
email and enter the code, the case becomes theirs: its member link and the wrap of its data
key are sealed anew for the new account, and the claim is audited. Registering with the email
alone is not enough, because the portal cannot yet prove that an address belongs to whoever
types it (it sends no mail).
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.grievances import Claimant, Grievance, unclaimed_digest
from portal.models.users import User
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.security.keys import derive_key
from portal.services import audit, timeline
from portal.services.access import require_role

MAX_NAME = 200
MAX_EMAIL = 254
MAX_PHONE = 40
CODE_LENGTH = 12  # 60 bits in base32, written as three groups of four


@dataclass(frozen=True)
class ClaimantDetails:
    """Who staff recorded a grievance for, when that person has no account."""

    full_name: str
    email: str = ""
    phone: str = ""


def email_index(email: str) -> bytes:
    return blind_index(keys.current().index_root, "claimant-email", email)


def claim_code(case: Grievance) -> str:
    """The code the office gives the person, e.g. `K7QF-2MXD-9PRA`; the same every time."""
    mac = crypto_hmac.HMAC(derive_key(keys.current().index_root, "claim-code"), hashes.SHA256())
    mac.update(str(case.id).encode())
    raw = base64.b32encode(mac.finalize()).decode()[:CODE_LENGTH]
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def check_details(details: ClaimantDetails) -> ClaimantDetails:
    """The details trimmed, with the email checked; each refusal names its field."""
    from portal.services.accounts import normalise_email

    name, email, phone = (details.full_name.strip(), details.email.strip(), details.phone.strip())
    if not name:
        raise InvalidInput(_l("Enter the person's full name."), "claimant_name")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            _l("Keep the name under %(max)d characters.", max=MAX_NAME), "claimant_name"
        )
    if not email and not phone:
        raise InvalidInput(
            _l("Give an email address or a phone number, so the office can reach them."),
            "claimant_email",
        )
    if email:
        email, _key = normalise_email(email[:MAX_EMAIL])
    if len(phone) > MAX_PHONE or (phone and not any(ch.isdigit() for ch in phone)):
        raise InvalidInput(_l("Enter the phone number with its digits."), "claimant_phone")
    return ClaimantDetails(name, email, phone)


def add_claimant(session: Session, case: Grievance, details: ClaimantDetails) -> Claimant:
    """Keep who the case was recorded for, encrypted under the case's key."""
    claimant = Claimant(
        grievance=case, email_digest=email_index(details.email) if details.email else None
    )
    claimant.full_name = details.full_name
    claimant.email = details.email or None
    claimant.phone = details.phone or None
    session.add(claimant)
    return claimant


def claimant_of(session: Session, case: Grievance) -> Claimant | None:
    return session.scalar(sa.select(Claimant).where(Claimant.grievance_id == case.id))


def claim_recorded_cases(
    session: Session, user: User, code: str, now: datetime | None = None
) -> list[Grievance]:
    """The unclaimed cases recorded for `user`'s email whose claim code is `code`, made
    theirs (flush only; the caller commits). A wrong code claims nothing and says nothing."""
    require_role(user, Role.MEMBER)
    code = _normal_code(code)
    if not code:
        return []
    now = now or utcnow()
    digest = email_index(user.email)
    rows = session.scalars(
        sa.select(Claimant).where(Claimant.email_digest == digest, Claimant.claimed_at.is_(None))
    ).all()
    claimed = []
    for claimant in rows:
        case = claimant.grievance
        # Both checks are keyed: a database writer can neither forge the code nor re-point
        # the email index of someone else's case at their own address.
        if not hmac.compare_digest(_normal_code(claim_code(case)), code):
            continue
        if not hmac.compare_digest(bytes(case.member_digest), unclaimed_digest(case.id, digest)):
            continue
        case.hand_to(user)
        claimant.claimed_at = now
        timeline.add_event(
            case,
            "claimed",
            None,
            public=False,
            detail="Claimed by the member's new account",
            now=now,
        )
        audit.record(session, user, "case.claimed", "grievance", case.id, now=now, by_member=True)
        claimed.append(case)
    return claimed
