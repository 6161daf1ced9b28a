"""The language the current request is shown in."""

from __future__ import annotations

from portal.policies import current_policies


def current_language() -> str:
    """The reader's language code ("en", "ko"); for now the association's default language."""
    return current_policies().languages.default
