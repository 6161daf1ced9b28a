"""Who may do what: role checks shared by every service."""

from __future__ import annotations

from portal.domain.errors import PermissionDenied
from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.users import User


def require_role(actor: User | None, *roles: Role) -> None:
    if actor is None or not actor.active or not actor.has_role(*roles):
        raise PermissionDenied(_l("You do not have permission to do that."))
