"""What members say after a decision, for the chair: survey results, follow-ups of low
scores, and "you said, we did" notes to publish."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.i18n import LANGUAGES
from portal.policies import current_policies
from portal.services import improvements, survey_results
from portal.web.access import roles
from portal.web.committee import bp
from portal.web.committee.feedback_forms import ImprovementForm
from portal.web.forms import PortalForm, attach_error
from portal.web.language import current_language

chairs_only = roles(Role.CHAIR)


@bp.get("/survey-results")
@chairs_only
def survey_results_page():  # type: ignore[no-untyped-def]
    session = db.session()
    return render_template(
        "committee/survey_results.html",
        results=survey_results.results(session, current_user),
        follow_ups=survey_results.open_follow_ups(session, current_user),
        minimum=survey_results.MIN_ANSWERS,
        policies=current_policies(),
        done_form=PortalForm(),
    )


@bp.post("/follow-ups/<follow_up_id>/done")
@chairs_only
def follow_up_done(follow_up_id: str):  # type: ignore[no-untyped-def]
    form = PortalForm()
    if form.validate_on_submit():
        survey_results.mark_done(db.session(), current_user, follow_up_id)
        db.commit()
        flash(_("The follow-up is marked done."), "success")
    return redirect(url_for("committee.survey_results_page"), 303)


@bp.route("/improvements/new", methods=["GET", "POST"])
@chairs_only
def publish_improvement():  # type: ignore[no-untyped-def]
    policies, lang = current_policies(), current_language()
    slugs = improvements.categories_for(current_user, db.session(), policies)
    form = ImprovementForm()
    form.set_categories(slugs, policies, lang)
    if form.validate_on_submit():
        note = improvements.Note(
            language=lang,
            categories=list(form.categories.data or []),
            titles={c: getattr(form, f"title_{c}").data or "" for c in LANGUAGES},
            bodies={c: getattr(form, f"body_{c}").data or "" for c in LANGUAGES},
        )
        try:
            row, told = improvements.publish(db.session(), current_user, note, policies)
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            db.commit()
            flash(
                ngettext(
                    "Published. %(num)d member who raised a grievance of these kinds was told.",
                    "Published. %(num)d members who raised a grievance of these kinds were told.",
                    told,
                ),
                "success",
            )
            return redirect(url_for("public.improvements", _anchor=f"note-{row.id}"), 303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "committee/publish_improvement.html", form=form, language=lang, has_categories=bool(slugs)
    ), status
