"""The association's grievance procedure, read from ``policies/`` and obeyed by the code.

``init_app(app, directory)`` loads and validates the set at start-up (a broken
set raises PolicyError naming the file, entry and reason); views and commands
read it with ``current_policies()``. Flask is imported lazily so the domain can
use the policy types without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from portal.policies.loader import load_policies
from portal.policies.types import PolicySet

if TYPE_CHECKING:
    from flask import Flask

EXTENSION = "portal.policies"

__all__ = ["EXTENSION", "PolicySet", "current_policies", "init_app", "load_policies"]


def init_app(app: Flask, directory: Path) -> PolicySet:
    """Load the policy set in `directory` for `app`; raises PolicyError if it is broken."""
    policies = load_policies(directory)
    app.extensions[EXTENSION] = policies
    return policies


def current_policies() -> PolicySet:
    """The policy set of the current app."""
    from flask import current_app

    return current_app.extensions[EXTENSION]
