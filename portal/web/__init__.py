"""The web layer: blueprints per audience, access control, headers and error pages."""

from __future__ import annotations

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter, Map

from portal.extensions import babel, csrf, limiter, login_manager
from portal.web.access import access_of

MAX_ID = 2**31 - 1


def init_web(app: Flask) -> None:
    from portal.web import (
        assets,
        documents,  # noqa: F401  (PDF routes on the member and committee blueprints)
        errors,
        filters,
        headers,
        language,
        navigation,
        sessions,
        unavailable,
    )
    from portal.web.admin import bp as admin_bp
    from portal.web.auth import bp as auth_bp
    from portal.web.committee import bp as committee_bp
    from portal.web.home import bp as home_bp
    from portal.web.insight import bp as insight_bp
    from portal.web.member import bp as member_bp
    from portal.web.notifications import bp as notifications_bp
    from portal.web.oversight import bp as oversight_bp
    from portal.web.public import bp as public_bp
    from portal.web.survey import bp as survey_bp
    from portal.web.uploads import PortalRequest

    app.request_class = PortalRequest
    app.url_map.converters["int"] = BoundedInt
    _init_babel(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    sessions.init_app(app)
    for bp in (
        home_bp,
        auth_bp,
        member_bp,
        committee_bp,
        admin_bp,
        oversight_bp,
        insight_bp,
        public_bp,
        notifications_bp,
        survey_bp,
    ):
        app.register_blueprint(bp)
    app.before_request(_refuse_nul)
    app.before_request(_refresh_keys)
    app.before_request(_enforce_access)
    headers.init_app(app)
    assets.init_app(app, app.extensions["portal.settings"].instance_path / "static")
    errors.init_app(app)
    unavailable.init_app(app)
    navigation.init_app(app)
    filters.init_app(app)
    language.init_app(app)


def _init_babel(app: Flask) -> None:
    """Flask-Babel picks each request's catalogue; lazy strings in the domain ask it too."""
    from portal import i18n
    from portal.web.language import catalogue, current_language

    app.config.update(
        BABEL_DEFAULT_LOCALE=i18n.FALLBACK,
        BABEL_TRANSLATION_DIRECTORIES=str(i18n.TRANSLATIONS_DIR),
    )
    babel.init_app(app, locale_selector=current_language)
    # Flask-Babel finds the catalogue through several context lookups on every string; a
    # page shows hundreds, so templates and lazy strings ask `catalogue()`, which keeps the
    # one found beside the locale Flask-Babel chose (force_locale and refresh change it).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
    i18n.install(lambda msgid: catalogue().ugettext(msgid))


class BoundedInt(IntegerConverter):
    """Ids beyond what the database stores are simply not found (404), not a crash."""

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def _refuse_nul() -> None:
    """No text a person types contains NUL; PostgreSQL refuses it, so do we, politely."""
    values = [request.path, *request.args.values()]
    if request.method == "POST" and request.mimetype in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        values += request.form.values()
    if any("\x00" in v for v in values):
        abort(400)


def _refresh_keys() -> None:
    from flask import current_app

    current_app.extensions["portal.key_watcher"].refresh()


def _enforce_access():  # type: ignore[no-untyped-def]
    """Deny by default: a route reaches its view only if it declares who may."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    from flask import current_app

    access = access_of(current_app.view_functions.get(request.endpoint))
    if access is None:
        abort(403)
    signed_in = bool(current_user.is_authenticated)
    roles = current_user.roles if signed_in else frozenset()
    if access.allows(signed_in, roles):
        return None
    if not signed_in:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    abort(403)
