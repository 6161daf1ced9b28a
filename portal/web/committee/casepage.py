"""The committee's case page and the one way every change to it is made."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from portal import db
from portal.db import utcnow
from portal.domain.errors import InvalidInput
from portal.models.grievances import Grievance
from portal.policies import current_policies
from portal.services import casefile, cases
from portal.services.casefile import Standing
from portal.web.committee.case_forms import case_forms
from portal.web.forms import attach_error

# The partials of the page, in order; each section is built by its own feature.
SECTIONS = (
    "_escalation",
    "_triage",
    "_reply",
    "_notes",
    "_decision",
    "_panel",
    "_links",
    "_recusal",
)


def render_case(
    case: Grievance, standing: Standing, status: int = 200, **forms: FlaskForm
) -> tuple[str, int]:
    policies = current_policies()
    return (
        render_template(
            "committee/case.html",
            case=case,
            standing=standing,
            forms=case_forms(**forms),
            policies=policies,
            now=utcnow(),
            member=cases.member_label(db.session(), case),
            moves=casefile.plain_moves(standing, case),
            sections=[f"committee/case/{name}.html" for name in SECTIONS],
        ),
        status,
    )


def change_case(
    reference: str,
    form_name: str,
    form: FlaskForm,
    change: Callable[[Grievance, Standing], str],
    anchor: str = "",
) -> Response | tuple[str, int]:
    """One change to a case: lock it, apply `change` (which returns the message to flash),
    commit, and go back to the section changed; a refusal re-renders the page with it."""
    session = db.session()
    case, standing = casefile.committee_case(
        session, current_user, reference, audit_view=False, for_update=True
    )
    if form.validate_on_submit():
        try:
            message = change(case, standing)
            db.commit()
        except InvalidInput as exc:
            session.rollback()
            attach_error(form, exc)
        else:
            flash(message, "success")
            return redirect(url_for("committee.case", reference=reference, _anchor=anchor), 303)
    case, standing = casefile.committee_case(session, current_user, reference)
    db.commit()  # the audited view
    return render_case(case, standing, 400, **{form_name: form})
