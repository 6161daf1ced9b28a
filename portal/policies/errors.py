"""The policy layer's own error, so loading a policy set needs nothing from the layers above."""

from __future__ import annotations


class PolicyError(Exception):
    """A policy file is missing or wrong; the message names the file and entry.

    Raised while loading a policy set (at start-up and by `flask policies`), never while
    serving a request, so it is not a DomainError: nothing maps it to a page.
    `portal.domain.errors` re-exports it for code that catches it with the domain errors."""
