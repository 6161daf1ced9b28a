"""The roles a person can hold."""

from __future__ import annotations

from enum import StrEnum

from portal.i18n import _l


class Role(StrEnum):
    MEMBER = "member"
    REVIEWER = "reviewer"
    CHAIR = "chair"
    PANEL = "panel"  # sits on the board's grievance panel (the top of the ladder)
    ADMIN = "administrator"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Role.MEMBER: _l("Member"),
    Role.REVIEWER: _l("Reviewer"),
    Role.CHAIR: _l("Chair"),
    Role.PANEL: _l("Grievance panel member"),
    Role.ADMIN: _l("Administrator"),
    Role.AUDITOR: _l("Auditor"),
}


# Roles that handle case content: a committee's reviewers and chairs, and the panel.
COMMITTEE_ROLES = frozenset({Role.REVIEWER, Role.CHAIR, Role.PANEL})

# Roles that oversee the portal. They never handle case content, so they can never be
# combined with a committee role or a committee seat (separation of duties).
OVERSIGHT_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})


def duties_clash(roles: frozenset[Role] | set[Role], seated: bool = False) -> bool:
    """Whether these roles (and a committee seat, when `seated`) mix oversight and casework."""
    oversight = bool(OVERSIGHT_ROLES & roles)
    return oversight and (bool(COMMITTEE_ROLES & roles) or seated)
