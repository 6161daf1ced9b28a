"""The person's notifications. Showing the list changes nothing; opening one (a POST from
its button) marks it read and goes where it leads; "Mark all as read" marks the rest."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.mail.render import Renderer
from portal.services import notifications
from portal.web.access import signed_in
from portal.web.forms import PortalForm, safe_next
from portal.web.language import current_language
from portal.web.notifications import bp

EXTENSION = "portal.notice_renderer"


def renderer(app: Flask | None = None) -> Renderer:
    """The mail templates' renderer, linking to paths on this site (one per app)."""
    app = app or current_app
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = Renderer(app.extensions["portal.policies"], lambda e, **v: url_for(e, **v))
        app.extensions[EXTENSION] = found
    return found


def _before() -> datetime | None:
    raw = request.args.get("before", "")
    try:
        moment = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


@bp.get("/notifications")
@signed_in
def notices():  # type: ignore[no-untyped-def]
    found, more = notifications.recent(db.session(), current_user, before=_before())
    words = renderer()
    language = current_language()
    items = [(n, words.subject(n.template, n.context, language)) for n in found]
    return render_template(
        "notifications/list.html",
        items=items,
        unread=any(not n.read for n in found),
        more=more,
        older=found[-1].created_at.isoformat() if more and found else None,
    )


@bp.post("/notifications/<notification_id>/open")
@signed_in
def open_notice(notification_id: str):  # type: ignore[no-untyped-def]
    if not PortalForm().validate_on_submit():
        return redirect(url_for("notifications.notices"), 303)
    shown = notifications.open_one(db.session(), current_user, notification_id)
    db.commit()
    target = safe_next(renderer().target(shown.template, shown.context))
    return redirect(target or url_for("notifications.notices"), 303)


@bp.post("/notifications/read")
@signed_in
def read_all():  # type: ignore[no-untyped-def]
    if PortalForm().validate_on_submit():
        count = notifications.mark_all_read(db.session(), current_user)
        db.commit()
        if count:
            flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.notices"), 303)
