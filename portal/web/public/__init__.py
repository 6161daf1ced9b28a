"""Pages anyone may read without signing in: the grievance procedure and its categories."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)

from portal.web.public import views  # noqa: E402,F401  (registers the routes on bp)
