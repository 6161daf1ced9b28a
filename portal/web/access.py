"""Who may reach each route. Every view declares it; undeclared routes are refused.

The app checks the declaration before the view runs (deny by default); services
check again what the actor may do with the object, so hiding a link is never
the only barrier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from portal.domain.roles import Role

F = TypeVar("F", bound=Callable[..., object])

ATTR = "_portal_access"


@dataclass(frozen=True)
class Access:
    anonymous: bool = False  # reachable without signing in
    roles: frozenset[Role] | None = None  # None: any signed-in user

    def allows(self, signed_in: bool, roles: frozenset[Role]) -> bool:
        if self.anonymous:
            return True
        if not signed_in:
            return False
        return self.roles is None or bool(self.roles & roles)


def public(view: F) -> F:
    """Anyone may reach this route, signed in or not."""
    setattr(view, ATTR, Access(anonymous=True))
    return view


def signed_in(view: F) -> F:
    """Any signed-in user may reach this route."""
    setattr(view, ATTR, Access())
    return view


def roles(*allowed: Role) -> Callable[[F], F]:
    """Only users holding one of these roles may reach this route."""

    def mark(view: F) -> F:
        setattr(view, ATTR, Access(roles=frozenset(allowed)))
        return view

    return mark


def access_of(view: Callable[..., object] | None) -> Access | None:
    return getattr(view, ATTR, None) if view is not None else None
