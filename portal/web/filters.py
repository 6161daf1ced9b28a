"""Template filters: dates in the reader's time zone, statuses in plain words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from portal.domain import workflow
from portal.policies import current_policies
from portal.policies.texts import localize
from portal.web import language


def _zone() -> ZoneInfo:
    tz = getattr(current_user, "timezone", None) if current_user else None
    return ZoneInfo(tz) if tz else current_policies().calendar.time_zone


def localdatetime(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(_zone())
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def localdate(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(_zone())
    return f"{local.day} {local:%b %Y}"


def localshort(moment: datetime | None) -> str:
    """A date with its time, for tables: "24 Nov 2026, 10:00"."""
    if moment is None:
        return "—"
    local = moment.astimezone(_zone())
    return f"{local.day} {local:%b %Y}, {local:%H:%M}"


def status_label(status: str | None) -> str:
    return workflow.info(status).label if status else ""


def localize_text(value: object) -> object:
    """A policy text in the reader's language (`{{ c.label|localize }}`); other values as they are."""
    return localize(value, language.current_language())


def init_app(app: Flask) -> None:
    app.add_template_filter(localdatetime)
    app.add_template_filter(localdate)
    app.add_template_filter(localshort)
    app.add_template_global(status_label)
    app.add_template_filter(localize_text, "localize")
