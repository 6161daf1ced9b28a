"""The web layer: blueprints per audience, access control, headers and error pages."""

from __future__ import annotations

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from portal.extensions import csrf, limiter, login_manager
from portal.web.access import access_of


def init_web(app: Flask) -> None:
    from portal.web import errors, filters, headers, navigation, sessions
    from portal.web.admin import bp as admin_bp
    from portal.web.auth import bp as auth_bp
    from portal.web.committee import bp as committee_bp
    from portal.web.home import bp as home_bp
    from portal.web.member import bp as member_bp
    from portal.web.public import bp as public_bp
    from portal.web.uploads import PortalRequest

    app.request_class = PortalRequest
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    sessions.init_app(app)
    for bp in (home_bp, auth_bp, member_bp, committee_bp, admin_bp, public_bp):
        app.register_blueprint(bp)
    app.before_request(_refresh_keys)
    app.before_request(_enforce_access)
    headers.init_app(app)
    errors.init_app(app)
    navigation.init_app(app)
    filters.init_app(app)


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
