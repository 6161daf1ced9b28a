"""The front door: a welcome for visitors, each person's own start page otherwise."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, render_template, url_for
from flask_login import current_user

from portal.domain.roles import Role
from portal.web.access import public

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for(start_page(current_user.roles)))
    return render_template("home/index.html")


@bp.get("/favicon.ico")
@public
def favicon():  # type: ignore[no-untyped-def]
    """Browsers ask for /favicon.ico whatever the page links; answer with the SVG icon."""
    icon = Path(current_app.static_folder or "static") / "favicon.svg"
    response = Response(icon.read_bytes(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def start_page(roles: frozenset[Role]) -> str:
    if Role.ADMIN in roles:
        return "admin.users"
    if Role.AUDITOR in roles:
        return "oversight.audit_trail"
    if Role.MEMBER in roles:
        return "member.my_grievances"
    if roles & {Role.REVIEWER, Role.CHAIR}:
        return "committee.record"
    return "auth.account"
