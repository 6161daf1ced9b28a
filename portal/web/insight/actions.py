"""The register of root causes and corrective actions."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal import db
from portal.domain.errors import InvalidInput
from portal.policies import current_policies
from portal.services import actions, kpis
from portal.web.access import roles
from portal.web.forms import attach_error
from portal.web.insight import bp
from portal.web.insight.forms import ACTION_STATUSES, ActionForm, ActionStatusForm
from portal.web.insight.views import OVERSEERS, today
from portal.web.language import current_language


def _action_form(scope: kpis.Scope) -> ActionForm:
    policies, lang = current_policies(), current_language()
    form = ActionForm(prefix="action")
    named = {slug: c.name.in_language(lang) for slug, c in policies.committees.items()}
    form.committee.choices = [
        SelectChoice(c.slug, named.get(c.slug, c.name)) for c in scope.committees
    ]
    form.link.choices = [
        SelectChoice("", _("Choose one")),
        *(
            SelectChoice(
                f"root_cause:{slug}", _("Root cause: %(name)s", name=rc.label.in_language(lang))
            )
            for slug, rc in policies.root_causes.items()
        ),
        *(
            SelectChoice(f"category:{slug}", _("Kind: %(name)s", name=c.label.in_language(lang)))
            for slug, c in policies.categories.items()
        ),
    ]
    return form


def _page(form: ActionForm | None = None, status: int = 200) -> tuple[str, int]:
    session, policies = db.session(), current_policies()
    scope = kpis.scope_for(session, current_user)
    entries = actions.register(session, current_user, policies, today())
    may_change = not scope.oversight
    if form is None and may_change:
        form = _action_form(scope)
    db.commit()
    return render_template(
        "insight/register.html",
        entries=entries,
        form=form if may_change else None,
        may_change=may_change,
        status_form=ActionStatusForm,
        statuses=ACTION_STATUSES,
        policies=policies,
        today=today(),
    ), status


@bp.get("/actions")
@roles(*OVERSEERS)
def register():  # type: ignore[no-untyped-def]
    return _page()


@bp.post("/actions")
@roles(*OVERSEERS)
def open_action() -> Response | tuple[str, int]:
    session = db.session()
    scope = kpis.scope_for(session, current_user)
    form = _action_form(scope)
    if form.validate_on_submit():
        try:
            actions.open_action(
                session,
                current_user,
                committee=form.committee.data or "",
                title=form.title.data or "",
                description=form.description.data or "",
                owner=form.owner.data or "",
                due_on=form.due_on.data,
                link=form.link.data or "",
                policies=current_policies(),
            )
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            db.commit()
            flash(_("The corrective action was added to the register."), "success")
            return redirect(url_for("insight.register"), 303)
    return _page(form, 400)


@bp.post("/actions/<int:action_id>")
@roles(*OVERSEERS)
def update_action(action_id: int) -> Response | tuple[str, int]:
    form = ActionStatusForm(prefix=f"a{action_id}")
    if form.validate_on_submit():
        try:
            actions.update_status(
                db.session(),
                current_user,
                action_id,
                form.status.data or "",
                form.completed_on.data,
                current_policies(),
            )
        except InvalidInput as exc:
            db.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash(_("The action was updated."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("insight.register", _anchor=f"action-{action_id}"), 303)
