"""Domain errors. The web layer maps each to a status and a clear message."""

from __future__ import annotations

from collections.abc import Sequence

from portal.policies.errors import PolicyError

__all__ = [
    "AddressUnconfirmed",
    "DomainError",
    "FilesNotStored",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
    "PolicyError",
    "StaleCase",
]


class DomainError(Exception):
    """Something a user asked for cannot be done; the message is safe to show."""


class PermissionDenied(DomainError):
    """The actor may not do this (shown as 403, or 404 where existence is secret)."""


class AddressUnconfirmed(PermissionDenied):
    """The account has not confirmed its email address yet, and this needs it (filing)."""


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it does."""


class InvalidInput(DomainError):
    """The request is well-formed but breaks a rule (shown as 400).

    One refusal names its field; `InvalidInput.of(problems)` carries several at once, so a
    form reports every mistake in one round instead of one per attempt."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.problems: list[tuple[str | None, str]] = [(field, message)]

    @classmethod
    def of(cls, problems: list[tuple[str | None, str]]) -> InvalidInput:
        """All of `problems` (field, message) in one error; the first is its message."""
        field, message = problems[0]
        error = cls(message, field)
        error.problems = list(problems)
        return error


class FilesNotStored(InvalidInput):
    """The evidence store could not take the files (disk full, or any write error).

    Shown like a refusal, on the form with everything typed kept (400), because the person
    can act on it: try again later, or send without the files. Nothing was written."""


class InvalidTransition(DomainError):
    """The case cannot move to that status from where it is."""


class StaleCase(DomainError):
    """Someone else changed the case first (shown as 409).

    `changes` are what happened since the person loaded the page (timeline events, newest
    last) and `status_before` the status they saw, when known, so the page can say what
    changed rather than only that something did."""

    def __init__(
        self, message: str, changes: Sequence[object] = (), status_before: str | None = None
    ) -> None:
        super().__init__(message)
        self.changes = list(changes)
        self.status_before = status_before
