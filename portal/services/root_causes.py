"""Tagging a decided case with its root cause, and the five whys behind it.

Anyone who works the case (its committee's reviewers and chairs, its panel) may tag it once
it is decided, and change the tag later. The cause is a slug of root_causes.toml, plain so
the dashboard can count it; the five whys quote the case, so they are encrypted with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.i18n import _l
from portal.models.grievances import Grievance
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import audit
from portal.services.casefile import Standing

WHYS = 5
MAX_WHY = 500


def may_tag(standing: Standing, case: Grievance) -> bool:
    return bool(standing.movers) and case.resolved_at is not None


def whys_of(case: Grievance) -> list[str]:
    """The five whys as written, one per line (decrypted: committee pages only)."""
    text = case.five_whys
    return text.split("\n") if text else []


def tag(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    root_cause: str,
    whys: list[str],
    policies: PolicySet,
    now: datetime | None = None,
) -> None:
    if not standing.movers:
        raise PermissionDenied(_l("You do not have permission to do that."))
    if case.resolved_at is None:
        raise InvalidInput(_l("A root cause is recorded once the grievance is decided."))
    problems: list[tuple[str | None, str]] = []
    if root_cause not in policies.root_causes:
        problems.append(("root_cause", _l("Choose one of the root causes listed.")))
    kept = [" ".join(w.split()) for w in whys[:WHYS]]
    for i, why in enumerate(kept, start=1):
        if len(why) > MAX_WHY:
            problems.append(
                (f"why_{i}", _l("Please keep this under %(max)d characters.", max=MAX_WHY))
            )
    if problems:
        raise InvalidInput.of(problems)
    # Keep the chain's order; drop empty links at the end only, so "why 3" stays the third.
    while kept and not kept[-1]:
        kept.pop()
    now = now or utcnow()
    before = case.root_cause
    case.root_cause = root_cause
    case.root_cause_by_id = actor.id
    case.root_cause_at = now
    case.five_whys = "\n".join(kept) if kept else None
    case.last_activity_at = now
    audit.record(
        session,
        actor,
        "case.root_cause_tagged",
        "grievance",
        case.id,
        {"root_cause": root_cause, "before": before, "whys": len([w for w in kept if w])},
        now=now,
    )
