"""Canned responses as a starting point for the committee's message to the member.

The text is the policy's (`responses.toml`), in the member's language (their account's
choice, else the association's default), with its placeholders filled for this case. The
reviewer edits it before sending; nothing here changes the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.domain.errors import InvalidInput
from portal.i18n import LANGUAGES, _l, translate
from portal.models.grievances import Claimant, Grievance
from portal.models.users import User
from portal.policies.types import CannedResponse, PolicySet
from portal.services.intake import when

# Sent by the portal itself the moment a grievance is filed, never by a reviewer.
NOT_OFFERED = frozenset({"acknowledgement"})


def offered(policies: PolicySet) -> list[CannedResponse]:
    """The responses a reviewer may start from, in the policy file's order."""
    return [r for slug, r in policies.canned_responses.items() if slug not in NOT_OFFERED]


@dataclass(frozen=True)
class Addressee:
    name: str  # as the message may address them; a neutral word when the identity is withheld
    language: str


def addressee(session: Session, case: Grievance, policies: PolicySet) -> Addressee:
    """Whom the message is for, and in which language it is written. A withheld identity is
    never decrypted: the message says "Member" in the member's language."""
    default = policies.languages.default
    supported = set(policies.languages.supported) & set(LANGUAGES)
    member = session.get(User, case.member_user_id()) if case.member_user_id() else None
    chosen = member.language if member is not None else None
    language = chosen if chosen in supported else default
    if case.identity_hidden:
        name = translate(language, "Member")
    elif member is not None:
        name = member.full_name
    else:  # recorded for someone without an account
        claimant = session.scalar(sa.select(Claimant).where(Claimant.grievance_id == case.id))
        name = claimant.full_name if claimant is not None else translate(language, "Member")
    return Addressee(name, language)


def pending_due(case: Grievance) -> datetime:
    """The promise we owe the member now: the first response until it is given, then the
    decision."""
    return case.first_response_due_at if case.first_response_at is None else case.resolution_due_at


def canned_text(session: Session, case: Grievance, slug: str, policies: PolicySet) -> str:
    """The body of canned response `slug`, filled in for `case`, in the member's language."""
    response = policies.canned_responses.get(slug)
    if response is None or slug in NOT_OFFERED:
        raise InvalidInput(_l("Choose one of the responses shown."), "response")
    to = addressee(session, case, policies)
    tz = policies.calendar.time_zone
    committee = policies.committees.get(case.committee.slug)
    category = policies.categories.get(case.category)
    _subject, body = response.render(
        to.language,
        member_name=to.name,
        reference=case.reference,
        due_date=when(pending_due(case), tz, to.language),
        decision_date=when(case.resolution_due_at, tz, to.language),
        category=category.label.in_language(to.language) if category else case.category,
        committee=committee.name.in_language(to.language) if committee else case.committee.name,
    )
    return body.strip()
