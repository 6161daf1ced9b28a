"""The auditor's audit trail page."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.services import oversight
from portal.web.access import roles
from portal.web.forms import attach_error
from portal.web.oversight import bp
from portal.web.oversight.forms import TrailForm
from portal.web.oversight.labels import action_label, object_kind


# Auditors only: the trail also records what administrators do (roles, seats, the panel),
# and the people it watches should not be the ones reading it.
@bp.get("/audit")
@roles(Role.AUDITOR)
def audit_trail():  # type: ignore[no-untyped-def]
    form = TrailForm(request.args)
    page = None
    if form.validate():
        filters = oversight.Filters(
            reference=form.reference.data or "",
            email=form.email.data or "",
            before=request.args.get("before", type=int),
        )
        try:
            page = oversight.trail(db.session(), current_user, filters)
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            db.commit()  # the look at the trail is recorded
    return render_template(
        "oversight/audit.html",
        form=form,
        page=page,
        action_label=action_label,
        object_kind=object_kind,
    ), 400 if form.errors else 200
