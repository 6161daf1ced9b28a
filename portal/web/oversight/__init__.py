"""Oversight: the auditor's pages. The audit trail, never case content."""

from flask import Blueprint

bp = Blueprint("oversight", __name__, url_prefix="/oversight")

from portal.web.oversight import views  # noqa: E402,F401
