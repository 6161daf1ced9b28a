"""The grievance panel's roster in the admin pages: appoint and remove its members."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.policies import current_policies
from portal.services import panel_roster
from portal.web.access import roles
from portal.web.admin import bp
from portal.web.admin.forms import PanelAppointForm
from portal.web.confirm import Confirmation, ConfirmForm, confirmation_page, unconfirmed
from portal.web.forms import attach_error


def _page(form: PanelAppointForm):  # type: ignore[no-untyped-def]
    members = panel_roster.roster(db.session(), current_user)
    status = 400 if form.errors else 200
    rules = current_policies().ladder.panel
    return render_template("admin/panel.html", members=members, form=form, rules=rules), status


@bp.get("/panel")
@roles(Role.ADMIN)
def panel():  # type: ignore[no-untyped-def]
    return _page(PanelAppointForm())


@bp.post("/panel")
@roles(Role.ADMIN)
def panel_appoint():  # type: ignore[no-untyped-def]
    form = PanelAppointForm()
    if form.validate_on_submit():
        try:
            person = panel_roster.appoint(db.session(), current_user, form.email.data or "")
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            db.commit()
            flash(_("%(name)s is now on the grievance panel.", name=person.full_name), "success")
            return redirect(url_for("admin.panel"), 303)
    return _page(form)


@bp.route("/panel/<int:user_id>/remove", methods=["GET", "POST"])
@roles(Role.ADMIN)
def panel_remove(user_id: int):  # type: ignore[no-untyped-def]
    back = url_for("admin.panel")
    person = panel_roster.panel_member(db.session(), current_user, user_id)
    form = ConfirmForm()
    if request.method == "POST" and (again := unconfirmed()):
        return again
    if form.validate_on_submit():
        try:
            ended = panel_roster.remove(db.session(), current_user, person)
        except InvalidInput as exc:
            db.rollback()
            flash(str(exc), "error")
            return redirect(back, 303)
        db.commit()
        message = _("%(name)s is no longer on the grievance panel.", name=person.full_name)
        if ended:
            message += " " + ngettext(
                "They left the panel of %(num)d open case; it needs another member.",
                "They left the panels of %(num)d open cases; those panels need another member.",
                ended,
            )
        flash(message, "success")
        return redirect(back, 303)
    name = person.full_name
    seats = panel_roster.open_seats(db.session(), person)
    consequences = [_("%(name)s can no longer open or decide grievance panel cases.", name=name)]
    if seats:
        consequences.append(
            ngettext(
                "They leave the panel of %(num)d open case they sit on; a vote they cast there "
                "stays on record but no longer counts.",
                "They leave the panels of %(num)d open cases they sit on; votes they cast there "
                "stay on record but no longer count.",
                seats,
            )
        )
    consequences.append(_("You can appoint them again later from this page."))
    return confirmation_page(
        Confirmation(
            title=_("Remove %(name)s from the grievance panel?", name=name),
            consequences=consequences,
            button=_("Remove from the panel"),
            cancel_url=back,
            irreversible=False,
        ),
        form,
    )
