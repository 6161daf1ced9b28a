"""Administration: people, roles and committees. No case content here."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.web.admin import views  # noqa: E402,F401
