"""Registration, sign-in, sign-out, passwords, and the links mailed for them."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.web.auth import links, views  # noqa: E402,F401
