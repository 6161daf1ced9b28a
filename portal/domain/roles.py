"""The roles a person can hold."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MEMBER = "member"
    REVIEWER = "reviewer"
    CHAIR = "chair"
    ADMIN = "administrator"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# Roles that handle case content for a committee.
COMMITTEE_ROLES = frozenset({Role.REVIEWER, Role.CHAIR})
