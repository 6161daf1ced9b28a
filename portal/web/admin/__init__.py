"""Administration: people, roles, committees and the grievance panel. No case content here."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.web.admin import outbox, panel, views  # noqa: E402,F401
