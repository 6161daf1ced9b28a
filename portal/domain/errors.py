"""Domain errors. The web layer maps each to a status and a clear message."""

from __future__ import annotations


class DomainError(Exception):
    """Something a user asked for cannot be done; the message is safe to show."""


class PermissionDenied(DomainError):
    """The actor may not do this (shown as 403, or 404 where existence is secret)."""


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it does."""


class InvalidInput(DomainError):
    """The request is well-formed but breaks a rule (shown as 400)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidTransition(DomainError):
    """The case cannot move to that status from where it is."""


class StaleCase(DomainError):
    """Someone else changed the case first (shown as 409)."""


class PolicyError(DomainError):
    """A policy file is missing or wrong; the message names the file and entry."""
