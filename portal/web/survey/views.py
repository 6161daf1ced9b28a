"""`/survey/<token>`: the survey page of a mailed link, and its answer (a POST, then thanks).

Whoever holds the link may answer, once, until it closes; the page says nothing about the
case (not even its reference), so a forwarded or leaked link tells nobody anything.
"""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.extensions import limiter
from portal.policies import current_policies
from portal.services import surveys
from portal.web import language
from portal.web.access import public
from portal.web.forms import attach_error
from portal.web.survey import bp
from portal.web.survey.forms import SurveyForm


def _page(form: SurveyForm, status: int = 200):  # type: ignore[no-untyped-def]
    policies = current_policies()
    lang = language.current_language()
    form.word(policies.survey.questions, lang)
    return render_template("survey/answer.html", form=form, survey=policies.survey), status


@bp.route("/<token>", methods=["GET", "POST"])
@public
@limiter.limit("30 per hour", methods=["POST"])
def answer(token: str):  # type: ignore[no-untyped-def]
    invitation = surveys.open_survey(db.session(), token)
    if not current_user.is_authenticated:
        # The language the mail was written in, unless this browser chose one.
        language.prefer(invitation.language)
    form = SurveyForm()
    if form.validate_on_submit():
        answers = surveys.Answers(
            form.outcome_score.data,
            form.process_score.data,
            form.fairness_score.data,
            form.recommend_score.data,
            form.comment.data or "",
        )
        try:
            surveys.submit(db.session(), token, answers, current_policies())
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            db.commit()
            return redirect(url_for("survey.thanks"), 303)
    return _page(form, 400 if form.errors or form.form_errors else 200)


@bp.get("/thanks")
@public
def thanks():  # type: ignore[no-untyped-def]
    return render_template("survey/thanks.html")
