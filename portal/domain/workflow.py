"""The case state machine: every status, every allowed move, and who may make it.

Services and templates ask this table; nothing else hard-codes a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal.domain.errors import InvalidTransition
from portal.i18n import _l


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    UNDER_REVIEW = "under_review"
    INVESTIGATING = "investigating"
    AWAITING_MEMBER = "awaiting_member"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    APPEALED = "appealed"
    REOPENED = "reopened"


class Mover(StrEnum):
    MEMBER = "member"  # the member who filed
    COMMITTEE = "committee"  # a reviewer or chair of the case's committee
    CHAIR = "chair"
    SYSTEM = "system"


@dataclass(frozen=True)
class StatusInfo:
    label: str  # plain words for the member (translated when shown)
    explanation: str  # what it means and what happens next
    action: str = ""  # the committee's button that moves a case here
    open: bool = True
    clock_paused: bool = False


INFO: dict[Status, StatusInfo] = {
    Status.SUBMITTED: StatusInfo(
        _l("Received"), _l("We have your grievance. The committee will pick it up shortly.")
    ),
    Status.ACKNOWLEDGED: StatusInfo(
        _l("Received, waiting for the committee"),
        _l("Your grievance is with the committee. A reviewer will contact you by the date shown."),
    ),
    Status.UNDER_REVIEW: StatusInfo(
        _l("Being reviewed"),
        _l("A reviewer is reading your grievance and deciding how to look into it."),
        action=_l("Start the review"),
    ),
    Status.INVESTIGATING: StatusInfo(
        _l("Being investigated"),
        _l("The committee is gathering information. They may contact you or others involved."),
        action=_l("Start investigating"),
    ),
    Status.AWAITING_MEMBER: StatusInfo(
        _l("Waiting for your reply"),
        _l("The committee has asked you for information. The clock is paused until you reply."),
        clock_paused=True,
    ),
    Status.RESOLVED: StatusInfo(
        _l("Decided"),
        _l(
            "The committee has reached a decision. You can read it below, and appeal if you disagree."
        ),
        open=False,
    ),
    Status.CLOSED: StatusInfo(
        _l("Closed"), _l("This grievance is closed."), open=False, action=_l("Close the case")
    ),
    Status.WITHDRAWN: StatusInfo(_l("Withdrawn"), _l("You withdrew this grievance."), open=False),
    Status.APPEALED: StatusInfo(
        _l("Appealed"),
        _l("Your appeal will be heard at the next level by people who did not decide it."),
    ),
    Status.REOPENED: StatusInfo(
        _l("Reopened"),
        _l("The committee has reopened this grievance and will review it again."),
        action=_l("Reopen the case"),
    ),
}

_WORKING = (Status.ACKNOWLEDGED, Status.UNDER_REVIEW, Status.INVESTIGATING, Status.AWAITING_MEMBER)

TRANSITIONS: dict[tuple[Status, Status], frozenset[Mover]] = {
    (Status.SUBMITTED, Status.ACKNOWLEDGED): frozenset({Mover.SYSTEM}),
    (Status.ACKNOWLEDGED, Status.UNDER_REVIEW): frozenset({Mover.COMMITTEE}),
    (Status.UNDER_REVIEW, Status.INVESTIGATING): frozenset({Mover.COMMITTEE}),
    (Status.UNDER_REVIEW, Status.AWAITING_MEMBER): frozenset({Mover.COMMITTEE}),
    (Status.INVESTIGATING, Status.AWAITING_MEMBER): frozenset({Mover.COMMITTEE}),
    (Status.AWAITING_MEMBER, Status.UNDER_REVIEW): frozenset({Mover.MEMBER, Mover.COMMITTEE}),
    (Status.AWAITING_MEMBER, Status.INVESTIGATING): frozenset({Mover.COMMITTEE}),
    (Status.UNDER_REVIEW, Status.RESOLVED): frozenset({Mover.COMMITTEE}),
    (Status.INVESTIGATING, Status.RESOLVED): frozenset({Mover.COMMITTEE}),
    (Status.RESOLVED, Status.APPEALED): frozenset({Mover.MEMBER}),
    (Status.RESOLVED, Status.CLOSED): frozenset({Mover.SYSTEM, Mover.CHAIR}),
    (Status.APPEALED, Status.UNDER_REVIEW): frozenset({Mover.COMMITTEE}),
    (Status.CLOSED, Status.REOPENED): frozenset({Mover.CHAIR}),
    (Status.REOPENED, Status.UNDER_REVIEW): frozenset({Mover.COMMITTEE}),
    **{
        (s, Status.WITHDRAWN): frozenset({Mover.MEMBER})
        for s in (Status.SUBMITTED, *_WORKING, Status.APPEALED, Status.REOPENED)
    },
}

OPEN_STATUSES = frozenset(s for s, info in INFO.items() if info.open)

# A decision stands (neither appealed nor reopened): the survey of how it went may go out.
DECIDED = frozenset({Status.RESOLVED, Status.CLOSED})

# Moves made only through their own use case and form (a request for information, a
# decision, a withdrawal, an appeal); the case page offers the other moves as plain buttons.
DEDICATED = frozenset({Status.AWAITING_MEMBER, Status.RESOLVED, Status.WITHDRAWN, Status.APPEALED})


# A duplicate merged into another open case of the same member is closed from wherever its
# work stands (services/merging.py). This is not a row of TRANSITIONS: no button makes it,
# only the merge use case with its checks (same member, an open survivor, a chair or the
# assignee), and rows into CLOSED from every working status would offer "Close the case" on
# every open case. A decided or appealed case is never merged: its decision, and the
# member's appeal of it, stand on their own.
MERGEABLE = frozenset(
    {
        Status.SUBMITTED,
        Status.ACKNOWLEDGED,
        Status.UNDER_REVIEW,
        Status.INVESTIGATING,
        Status.AWAITING_MEMBER,
        Status.REOPENED,
    }
)


def info(status: str) -> StatusInfo:
    return INFO[Status(status)]


def can_move(current: str, target: Status, mover: Mover) -> bool:
    return mover in TRANSITIONS.get((Status(current), target), frozenset())


def check_move(current: str, target: Status, mover: Mover) -> None:
    if not can_move(current, target, mover):
        raise InvalidTransition(
            _l(
                "This grievance is “%(status)s”; it cannot become “%(target)s” now.",
                status=INFO[Status(current)].label,
                target=INFO[target].label,
            )
        )


def moves_for(current: str, mover: Mover) -> list[Status]:
    return [to for (frm, to), who in TRANSITIONS.items() if frm == current and mover in who]
