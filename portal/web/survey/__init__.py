"""The survey after a decision, answered from the mailed link without signing in."""

from flask import Blueprint

bp = Blueprint("survey", __name__, url_prefix="/survey")

from portal.web.survey import views  # noqa: E402,F401
