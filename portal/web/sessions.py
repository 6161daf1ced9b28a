"""Flask-Login bound to server-side sessions: the cookie names a session row."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, session
from flask_login import current_user, login_user, logout_user

from portal import db
from portal.extensions import login_manager
from portal.i18n import _l
from portal.models.users import User
from portal.services import accounts

SESSION_KEY = "sid"
# Kept across sign-in and sign-out: a visitor who chose Korean keeps reading Korean.
LANGUAGE_KEY = "language"


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = None  # our server-side sessions do this job

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        settings = current_app.extensions["portal.settings"]
        try:
            uid = int(user_id)
        except ValueError:
            return None
        return accounts.resume_session(
            db.session(),
            uid,
            session.get(SESSION_KEY),
            max_age=timedelta(hours=settings.session_hours),
        )


def sign_in(user: User) -> None:
    """Start a new server-side session; the old cookie's contents are discarded."""
    accounts.end_session(db.session(), session.get(SESSION_KEY))
    _clear_keeping_language()
    session[SESSION_KEY] = accounts.start_session(db.session(), user)
    login_user(user)


def sign_out() -> None:
    accounts.end_session(db.session(), session.get(SESSION_KEY))
    language = getattr(current_user, "language", None)
    logout_user()
    _clear_keeping_language(language)


def _clear_keeping_language(language: str | None = None) -> None:
    language = language or session.get(LANGUAGE_KEY)
    session.clear()
    if language:
        session[LANGUAGE_KEY] = language


def current_token() -> str | None:
    return session.get(SESSION_KEY)
