"""What a case page promises the member, in one place: dates, priority, level, committee,
handler and the procedure version it is handled under.

The policy texts stay `LocalizedText`, so the template words them in the reader's language
(`|localize`); nothing here reads the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.models.grievances import Grievance
from portal.policies.types import PolicySet


@dataclass(frozen=True)
class CasePromises:
    first_response_due_at: datetime
    first_response_at: datetime | None  # once given, the page says so instead of the due date
    resolution_due_at: datetime
    priority: object  # the policy's label (LocalizedText), else the stored slug
    level: int
    level_title: object | None
    level_actor: object | None
    level_description: object | None
    committee: object  # the policy's committee name, else the row's name
    handler: str | None  # the assigned reviewer's name; None before anyone is assigned
    version: str
    version_recorded_at: datetime | None


def case_promises(case: Grievance, policies: PolicySet) -> CasePromises:
    """Everything the case page keeps in view, read from the case and the policy set.

    The priority, level and committee are described by the current policy set; the dates
    are the case's own (it keeps the dates it was given when the procedure changes). The
    version's date is asked for here unless the case came with it (`policy_recorded_at`)."""
    priority = policies.priorities.get(case.priority)
    level = policies.ladder.levels.get(case.escalation_level)
    committee = policies.committees.get(case.committee.slug)
    return CasePromises(
        first_response_due_at=case.first_response_due_at,
        first_response_at=case.first_response_at,
        resolution_due_at=case.resolution_due_at,
        priority=priority.label if priority else case.priority,
        level=case.escalation_level,
        level_title=level.title if level else None,
        level_actor=level.actor_label if level else None,
        level_description=level.description if level else None,
        committee=committee.name if committee else case.committee.name,
        handler=case.assignee.full_name if case.assignee else None,
        version=case.policy_version,
        version_recorded_at=case.policy_recorded_at,
    )
