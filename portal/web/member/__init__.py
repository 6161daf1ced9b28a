"""The member's side: filing grievances and following them."""

from flask import Blueprint

bp = Blueprint("member", __name__)

from portal.web.member import escalation, filing, views  # noqa: E402,F401
