"""The workflow's shortest way from one status to another, as the panel's decision takes it."""

from __future__ import annotations

import pytest

from portal.domain import workflow
from portal.domain.workflow import Mover, Status


@pytest.mark.parametrize(
    ("start", "route"),
    [
        ("under_review", ["resolved"]),
        ("investigating", ["resolved"]),
        ("appealed", ["under_review", "resolved"]),
        ("reopened", ["under_review", "resolved"]),
        ("acknowledged", ["under_review", "resolved"]),
        ("awaiting_member", ["under_review", "resolved"]),
        ("resolved", []),
        ("submitted", None),  # only the system acknowledges
        ("withdrawn", None),
        ("closed", None),
    ],
)
def test_path_to_resolved_for_the_committee(start: str, route: list[str] | None) -> None:
    found = workflow.path(start, Status.RESOLVED, Mover.COMMITTEE)
    assert (None if found is None else [s.value for s in found]) == route


def test_every_step_of_a_path_is_an_allowed_move() -> None:
    for start in Status:
        for target in Status:
            for mover in Mover:
                route = workflow.path(start, target, mover)
                current = start.value
                for step in route or []:
                    assert workflow.can_move(current, step, mover), (start, target, mover)
                    current = step.value
