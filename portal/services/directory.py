"""Administration of people: search, roles, deactivation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.domain.errors import InvalidInput, NotFound
from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.users import User, UserRole
from portal.services import audit, duties
from portal.services.access import require_role
from portal.services.accounts import end_all_sessions

PAGE_SIZE = 25


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    page: int
    pages: int
    total: int


def search_users(
    session: Session, actor: User, query: str = "", role: Role | None = None, page: int = 1
) -> UserPage:
    require_role(actor, Role.ADMIN)
    stmt = sa.select(User)
    if query.strip():
        text = query.strip().casefold()
        # autoescape: a "%" or "_" typed is that character, not a LIKE wildcard.
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.full_name).contains(text, autoescape=True),
                User.email_key.contains(text, autoescape=True),
                sa.func.lower(User.member_number).contains(text, autoescape=True),
            )
        )
    if role is not None:
        stmt = stmt.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    users = session.scalars(
        stmt.order_by(sa.func.lower(User.full_name), User.id)
        .options(selectinload(User.role_rows))  # the list shows each person's roles
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return UserPage(list(users), page, pages, total)


def get_user(session: Session, actor: User, user_id: int) -> User:
    require_role(actor, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_l("There is no such user."))
    return user


def set_roles(
    session: Session, actor: User, user: User, roles: set[Role], now: datetime | None = None
) -> None:
    require_role(actor, Role.ADMIN)
    if not roles:
        raise InvalidInput(_l("Choose at least one role."), "roles")
    duties.check_not_self(actor, user)
    duties.check_roles(session, user, roles)
    before = sorted(user.roles)
    user.set_roles(roles)
    session.flush()
    audit.record(
        session,
        actor,
        "user.roles_changed",
        "user",
        user.id,
        {"before": before, "after": sorted(roles)},
        now=now,
    )


def set_active(
    session: Session, actor: User, user: User, active: bool, now: datetime | None = None
) -> None:
    require_role(actor, Role.ADMIN)
    if user.id == actor.id and not active:
        raise InvalidInput(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        # Effective on the user's next request: every session ends now.
        end_all_sessions(session, user, now=now)
    audit.record(
        session, actor, "user.activated" if active else "user.deactivated", "user", user.id, now=now
    )
