"""Notifications in the portal: the list, opening one, marking all read."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from portal.web.notifications import views  # noqa: E402,F401
