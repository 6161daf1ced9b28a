"""Cases with known promised dates, for the ladder, sweep, appeal and extension services.

Every case is filed on Monday 2 March 2026 at 09:00 London time (GMT, so 09:00 UTC) at
normal priority: a first response is due the same day at 17:00 (one working day), and a
decision by Friday 20 March at 17:00 (fifteen working days).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.domain import sla
from portal.domain.roles import Role
from portal.models.committees import Committee, Seat
from portal.models.grievances import Grievance
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import audit, timeline
from portal.services.references import next_reference
from tests.factories import make_policy_committees, make_user, seat

FILED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday
FIRST_DUE = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
DECISION_DUE = datetime(2026, 3, 20, 17, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026 (UTC, which is London time in early March)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def policies(app) -> PolicySet:  # type: ignore[no-untyped-def]
    return app.extensions["portal.policies"]


@pytest.fixture
def committee(session, policies) -> Committee:  # type: ignore[no-untyped-def]
    return make_policy_committees(session, policies)["member-services"]


@pytest.fixture
def member(session) -> User:  # type: ignore[no-untyped-def]
    return make_user(session, Role.MEMBER, name="Fiona Filer")


@pytest.fixture
def chair(session, committee) -> User:  # type: ignore[no-untyped-def]
    user = make_user(session, Role.CHAIR, name="Chris Chair")
    seat(session, committee, user, Seat.CHAIR)
    return user


@pytest.fixture
def reviewer(session, committee) -> User:  # type: ignore[no-untyped-def]
    user = make_user(session, Role.REVIEWER, name="Rui Reviewer")
    seat(session, committee, user, Seat.REVIEWER)
    return user


@pytest.fixture
def make_case(session, policies, member, committee):  # type: ignore[no-untyped-def]
    def make(
        *,
        owner: User | None = None,
        priority: str = "normal",
        status: str = "acknowledged",
        level: int = 1,
        filed: datetime = FILED,
        first_response_at: datetime | None = None,
    ) -> Grievance:
        first_due, decision_due = sla.due_dates(
            filed, policies.priorities[priority], policies.calendar
        )
        case = Grievance.new(
            reference=next_reference(session, filed),
            member=owner or member,
            channel="web",
            category="billing",
            priority=priority,
            status=status,
            is_open=status not in ("resolved", "closed", "withdrawn"),
            escalation_level=level,
            committee=committee,
            policy_version=policies.version,
            submitted_at=filed,
            last_activity_at=filed,
            first_response_due_at=first_due,
            resolution_due_at=decision_due,
            first_response_at=first_response_at,
        )
        case.subject = "Charged twice for dues"
        case.narrative = "My card was charged twice in March."
        session.add(case)
        timeline.add_event(case, "filed", None, detail="Filed online", now=filed)
        audit.record(session, None, "case.filed", "grievance", case.id, now=filed)
        return case

    return make


def panel_members(session, count: int, prefix: str = "Panel") -> list[User]:  # type: ignore[no-untyped-def]
    return [make_user(session, Role.PANEL, name=f"{prefix} {i}") for i in range(1, count + 1)]
