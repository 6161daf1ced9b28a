"""The roles a person can hold."""

from __future__ import annotations

from enum import StrEnum

from portal.i18n import _l


class Role(StrEnum):
    MEMBER = "member"
    REVIEWER = "reviewer"
    CHAIR = "chair"
    ADMIN = "administrator"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Role.MEMBER: _l("Member"),
    Role.REVIEWER: _l("Reviewer"),
    Role.CHAIR: _l("Chair"),
    Role.ADMIN: _l("Administrator"),
    Role.AUDITOR: _l("Auditor"),
}


# Roles that handle case content for a committee.
COMMITTEE_ROLES = frozenset({Role.REVIEWER, Role.CHAIR})
