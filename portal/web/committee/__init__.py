"""The committee's side: the queue, the case page and its casework, recording grievances."""

from flask import Blueprint

bp = Blueprint("committee", __name__, url_prefix="/committee")

from portal.web.committee import (  # noqa: E402,F401
    cases,
    escalation,
    feedback,
    links,
    panel,
    root_cause,
    views,
    work,
)
