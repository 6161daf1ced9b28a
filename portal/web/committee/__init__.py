"""The committee's side. For now: recording a grievance received by another channel."""

from flask import Blueprint

bp = Blueprint("committee", __name__, url_prefix="/committee")

from portal.web.committee import views  # noqa: E402,F401
