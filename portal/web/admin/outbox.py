"""Outgoing mail in the admin pages: what failed (and retrying it), and in development the
mail written to files. No case content: messages are shown by address and error only."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.config import Settings
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.mail.transport import count_files, written_files
from portal.services import outbox_admin
from portal.web.access import roles
from portal.web.admin import bp
from portal.web.forms import PortalForm

FILE_NAME = re.compile(r"\d{8}T\d{12}-[0-9a-f]{8}\.eml")


def _settings() -> Settings:
    return current_app.extensions["portal.settings"]


@bp.get("/outbox")
@roles(Role.ADMIN)
def outbox_page():  # type: ignore[no-untyped-def]
    settings = _settings()
    session = db.session()
    return render_template(
        "admin/outbox.html",
        counts=outbox_admin.counts(session, current_user),
        undelivered=outbox_admin.undelivered(session, current_user),
        settings=settings,
        files=written_files(settings.mail_dir) if settings.mail_to_files else [],
        file_count=count_files(settings.mail_dir) if settings.mail_to_files else 0,
    )


@bp.post("/outbox/<message_id>/retry")
@roles(Role.ADMIN)
def outbox_retry(message_id: str):  # type: ignore[no-untyped-def]
    if PortalForm().validate_on_submit():
        try:
            outbox_admin.retry(db.session(), current_user, message_id)
        except InvalidInput as exc:
            db.session().rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash(_("The message will be sent again on the next pass."), "success")
    return redirect(url_for("admin.outbox_page"), 303)


@bp.get("/outbox/files/<name>")
@roles(Role.ADMIN)
def outbox_file(name: str):  # type: ignore[no-untyped-def]
    """A mail written to a file (development only): its headers and plain-text body."""
    settings = _settings()
    path = settings.mail_dir / name
    if not settings.mail_to_files or not FILE_NAME.fullmatch(name) or not path.is_file():
        abort(404)
    with path.open("rb") as raw:
        message = BytesParser(policy=policy.default).parse(raw)
    body = message.get_body(preferencelist=("plain",))
    return render_template(
        "admin/outbox_file.html",
        name=name,
        message=message,
        text=body.get_content() if body is not None else "",  # type: ignore[union-attr]
    )
