"""People, their roles, their server-side sessions and their one-time links."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow
from portal.domain.roles import Role


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    # Case-folded copy carrying the unique constraint: one account per address.
    email_key: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    member_number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    # The language the person chose for the portal; None: follow their browser.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    # Which notifications also come by email: "all", or "important" (decisions and requests
    # for information only). Every notification is shown in the portal either way.
    mail_preference: Mapped[str] = mapped_column(sa.String(20), default="all", server_default="all")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the person proved the address is theirs (a link mailed to it); until then they
    # may sign in but not file, so nobody files in another person's name.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Loaded when asked for: a page names many people (authors, deciders) but checks the
    # roles of one, whose session loads them with the user (accounts.resume_session).
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    def set_roles(self, roles: set[Role]) -> None:
        keep = {r for r in self.role_rows if Role(r.role) in roles}
        have = {Role(r.role) for r in keep}
        self.role_rows = [*keep, *(UserRole(role=r.value) for r in roles - have)]

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_staff(self) -> bool:
        return self.has_role(Role.REVIEWER, Role.CHAIR)

    # Flask-Login protocol, kept here so the web layer needs no wrapper.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class UserSession(Base):
    """A signed-in browser. The cookie holds a random id; we keep only its hash,
    so signing out or deactivating ends the session on the server."""

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class PasswordToken(Base):
    """A one-time link mailed to a person: an invitation or a reset (both set a password),
    or the confirmation of their address. Only the SHA-256 of the token is kept."""

    __tablename__ = "password_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
