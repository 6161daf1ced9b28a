"""The reader's language: their account's choice, else their browser's, else the association's.

A small form in every page's header switches it, with or without JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from babel.support import NullTranslations
from flask import (
    Flask,
    current_app,
    g,
    has_app_context,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_login import current_user
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired

from portal import db
from portal.extensions import limiter
from portal.i18n import FALLBACK, LANGUAGES, _l
from portal.services import accounts
from portal.web.access import public
from portal.web.forms import PortalForm, safe_next

SESSION_KEY = "language"
# Each language named in itself, so a reader who cannot read the page still finds theirs.
NAMES = {"ko": "한국어", "en": "English"}


def current_language() -> str:
    """The language code of this request's pages ("ko" or "en")."""
    if "language" not in g:
        g.language = _choose()
    return str(g.language)


def catalogue() -> NullTranslations:
    """The request's catalogue, as Flask-Babel's `get_translations()` finds it, found once
    per locale: the locale object is kept with it, so a `force_locale` block or a
    `refresh()` (which replace that object) gets its own catalogue."""
    import flask_babel

    if not has_app_context():
        return flask_babel.get_translations()
    state = getattr(g, "_flask_babel", None)
    kept = getattr(state, "portal_catalogue", None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None):
        return kept[1]  # type: ignore[no-any-return]
    found = flask_babel.get_translations()
    state = getattr(g, "_flask_babel", None)
    locale = getattr(state, "babel_locale", None)
    if state is not None and locale is not None:
        state.portal_catalogue = (locale, found)
    return found


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Pages rendered inside are in `language` (a letter in the member's language, whoever
    downloads it): the catalogue, `|localize` and the date filters all follow it."""
    before = g.get("language")
    g.language = language
    try:
        with force_locale(language):
            yield
    finally:
        if before is None:
            g.pop("language", None)
        else:
            g.language = before


def _choose() -> str:
    if not has_request_context():
        return association_default()
    saved = getattr(current_user, "language", None) if current_user.is_authenticated else None
    if saved in LANGUAGES:
        return saved
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    asked = request.accept_languages.best_match(LANGUAGES)
    return asked or association_default()


def prefer(code: str | None) -> None:
    """Show this request in `code` unless the reader chose a language (a link mailed in
    Korean opens in Korean in any browser)."""
    import flask_babel

    if code in LANGUAGES and session.get(SESSION_KEY) not in LANGUAGES:
        g.language = code
        flask_babel.refresh()


def association_default() -> str:
    """The policy set's default language (``languages.default``), read defensively."""
    policies = current_app.extensions.get("portal.policies")
    default = getattr(getattr(policies, "languages", None), "default", None)
    return default if default in LANGUAGES else FALLBACK


class LanguageForm(PortalForm):
    language = StringField(
        validators=[
            DataRequired(_l("Choose one of the languages offered.")),
            AnyOf(LANGUAGES, message=_l("Choose one of the languages offered.")),
        ]
    )
    next = HiddenField()


def switch() -> object:
    """Save the choice (on the account when signed in) and go back to the page."""
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("home.index")
    if form.validate_on_submit():
        language = form.language.data or FALLBACK
        if current_user.is_authenticated:
            accounts.set_language(db.session(), current_user, language)
            db.commit()
        session[SESSION_KEY] = language
    return redirect(target, 303)


def init_app(app: Flask) -> None:
    view = public(limiter.limit("60 per minute")(switch))
    app.add_url_rule("/language", "language", view, methods=["POST"])

    @app.context_processor
    def _language() -> dict[str, object]:
        here = request.full_path.rstrip("?") if request.method == "GET" else request.path
        return {
            "page_language": current_language(),
            "language_names": NAMES,
            "language_next": here,
        }
