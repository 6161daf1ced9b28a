"""Insight: the KPI dashboard, its CSV exports, the root-cause register and the board report."""

from flask import Blueprint

bp = Blueprint("insight", __name__, url_prefix="/insight")

from portal.web.insight import actions, views  # noqa: E402,F401
