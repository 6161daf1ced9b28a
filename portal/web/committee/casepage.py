"""The committee's case page and the one way every change to it is made."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from portal import db
from portal.db import utcnow
from portal.domain.errors import InvalidInput, StaleCase
from portal.models.grievances import Grievance
from portal.policies import current_policies
from portal.services import casefile, cases, linking, merging, versions
from portal.services.casefile import Standing
from portal.web.committee.case_forms import case_forms
from portal.web.committee.caseform import CaseForm
from portal.web.forms import attach_error

# The partials of the page, in order; each section is built by its own feature.
SECTIONS = (
    "_escalation",
    "_triage",
    "_reply",
    "_notes",
    "_decision",
    "_root_cause",
    "_panel",
    "_links",
    "_recusal",
)


def render_case(
    case: Grievance,
    standing: Standing,
    status: int = 200,
    stale: StaleCase | None = None,
    **forms: FlaskForm,
) -> tuple[str, int]:
    """The page; every form on it carries the version shown (so a refused form sent again
    after a 409 is checked against this page, and keeps what was typed)."""
    session = db.session()
    policies = current_policies()
    now = utcnow()
    seen = versions.marker(now)

    def prepare(form: FlaskForm) -> None:
        if isinstance(form, CaseForm):
            form.version.data = str(case.version)
            form.seen.data = seen

    shown = case_forms(prepare, **forms)
    merged = merging.merged_into(session, case)
    return (
        render_template(
            "committee/case.html",
            case=case,
            standing=standing,
            forms=shown,
            policies=policies,
            now=now,
            member=cases.member_label(session, case),
            moves=casefile.plain_moves(standing, case),
            sections=[f"committee/case/{name}.html" for name in SECTIONS],
            stale=stale,
            merged=merged,
            combined=merging.combined(case, merged),
            links=linking.linked(session, current_user, case),
            can_merge=merging.may_merge(current_user, case, standing),
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
    commit, and go back to the section changed. A refusal re-renders the page with it (400).
    A change sent from a page showing an older version of the case (or from a form without
    its version) is undone before commit, and the page as it is now says what changed (409),
    with the refused form still holding what was typed."""
    session = db.session()
    case, standing = casefile.committee_case(
        session, current_user, reference, audit_view=False, for_update=True
    )
    stale = None
    if form.validate_on_submit():
        if isinstance(form, CaseForm):
            try:
                versions.check(case, form.version.data, form.seen.data)
            except StaleCase as exc:
                stale = exc
        try:
            # Even on an out-of-date page the change is tried (and then undone), so someone
            # who may not make it at all is told that (403, or the service's refusal when the
            # form was not on their page), not only that the page was old.
            message = change(case, standing)
            if stale is not None:
                raise stale
            db.commit()
        except StaleCase:
            session.rollback()
        except InvalidInput as exc:
            session.rollback()
            attach_error(form, exc)
            if stale is not None and not form.version.data:
                stale = None  # no form of the page sent it: the refusal is the answer (400)
        else:
            flash(message, "success")
            return redirect(url_for("committee.case", reference=reference, _anchor=anchor), 303)
    case, standing = casefile.committee_case(session, current_user, reference)
    db.commit()  # the audited view
    return render_case(case, standing, 409 if stale else 400, stale, **{form_name: form})
