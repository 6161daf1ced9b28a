"""The decision on a member's own case, as the member reads it.

The member reads the latest decision: its outcome, reasons, remedy and the clauses it
relied on. A panel's decision is shown as the panel's, with how many of its members
agreed and how many dissented, never who or how each voted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.domain.errors import NotFound
from portal.i18n import _l
from portal.models.grievances import Decision, Grievance
from portal.models.users import User
from portal.policies.types import Clause, Outcome, PolicySet
from portal.services import panels_vote
from portal.services.panels_vote import Tally


@dataclass(frozen=True)
class ShownDecision:
    decision: Decision
    outcome: Outcome | None  # None for an outcome a later policy no longer lists
    clauses: list[Clause]
    panel: Tally | None  # set for a panel's decision
    final: bool  # nothing above it on the ladder: no appeal


def latest(
    session: Session, actor: User, case: Grievance, policies: PolicySet
) -> ShownDecision | None:
    """The latest decision on `actor`'s own case, or None before any."""
    if not case.belongs_to(actor):
        raise NotFound(_l("We could not find that grievance."))
    if not case.decisions:
        return None
    decision = max(case.decisions, key=lambda d: d.decided_at)
    slugs = [s for s in (decision.clauses or "").split(",") if s.strip()]
    return ShownDecision(
        decision=decision,
        outcome=policies.outcomes.get(decision.outcome),
        clauses=[policies.clauses[s.strip()] for s in slugs if s.strip() in policies.clauses],
        panel=panels_vote.tally(session, case, decision) if decision.by_panel else None,
        final=policies.ladder.next_level(decision.level) is None,
    )
