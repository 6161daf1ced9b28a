"""Filing a grievance: write, review (a GET on a server-side draft), attach files, send.

Every successful step redirects (303), so Back and Reload never resend a form: the review
page shows the draft kept under the form's one-time token (`services.drafts`), and an upload
refused there, even one too large to read, comes back to the review with everything kept.
"""

from __future__ import annotations

import secrets

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

from portal import db
from portal.domain.errors import FilesNotStored, InvalidInput
from portal.domain.roles import Role
from portal.policies import current_policies
from portal.policies.texts import localize
from portal.policies.types import PolicySet
from portal.services import accounts, drafts, intake
from portal.services.triage import triage
from portal.web.access import roles
from portal.web.casework import file_once, upload_rules, uploads
from portal.web.filters import localdate
from portal.web.forms import attach_error
from portal.web.jsonbody import json_object, text_fields
from portal.web.language import current_language
from portal.web.member import bp
from portal.web.member.forms import STALE_FORM, FilingForm, split_list
from portal.web.uploads import too_large_message, too_large_returns

member_only = roles(Role.MEMBER)
DRAFT_FIELDS = (
    "category",
    "subject",
    "narrative",
    "people_involved",
    "party_emails",
    "party_member_numbers",
    "occurred_on",
    "desired_outcome",
    "hide_identity",
)


def filing_from(form: FilingForm) -> intake.Filing:
    return intake.Filing(
        category=form.category.data or "",
        subject=form.subject.data or "",
        narrative=form.narrative.data or "",
        people_involved=form.people_involved.data or "",
        party_emails=split_list(form.party_emails.data),
        party_member_numbers=split_list(form.party_member_numbers.data),
        occurred_on=form.occurred_on.data,
        desired_outcome=form.desired_outcome.data or "",
        hide_identity=bool(form.hide_identity.data),
        submission_token=form.submission_token.data or None,
    )


def checked_filing(form: FilingForm, policies: PolicySet) -> bool:
    """The form's checks and the intake rules together, so every mistake shows in one round."""
    valid = form.validate_on_submit()
    try:
        intake.validate(filing_from(form), policies, intake.today_for(current_user, policies))
    except InvalidInput as exc:
        attach_error(form, exc, keep_existing=True)
        return False
    return valid


def _draft_values() -> dict[str, str]:
    """The form as typed (a date that did not parse stays as the member wrote it)."""
    return {name: request.form.get(name, "") for name in DRAFT_FIELDS}


def _form_from_draft(values: dict[str, str], token: str, policies: PolicySet) -> FilingForm:
    # The draft is the server's own copy; the CSRF token guarded the POST that saved it.
    form = FilingForm(
        formdata=ImmutableMultiDict({**values, "submission_token": token}), meta={"csrf": False}
    )
    form.set_categories(policies)
    return form


def _checked_draft(form: FilingForm, policies: PolicySet) -> bool:
    valid = form.validate()
    try:
        intake.validate(filing_from(form), policies, intake.today_for(current_user, policies))
    except InvalidInput as exc:
        attach_error(form, exc, keep_existing=True)
        return False
    return valid


def _filing_context(form: FilingForm) -> dict[str, object]:
    policies = current_policies()
    text = f"{form.subject.data or ''}\n{form.narrative.data or ''}"
    suggestion = triage(text, policies) if text.strip() else None
    duplicate = None
    if form.category.data in policies.categories:
        duplicate = intake.similar_open_case(db.session(), current_user, form.category.data)
    return {"form": form, "policies": policies, "suggestion": suggestion, "duplicate": duplicate}


@bp.route("/grievances/new", methods=["GET", "POST"])
@member_only
def file():  # type: ignore[no-untyped-def]
    """The form. A POST, accepted or refused, keeps what was typed as a draft and redirects:
    to the review, or back here, where the draft is shown with its mistakes (so Back from the
    review never lands on a POST to resend)."""
    accounts.require_confirmed(current_user)  # the filing service refuses too
    policies = current_policies()
    if request.method == "GET":
        token = request.args.get("draft", "")
        values = drafts.load(db.session(), current_user, token)
        if values is not None:  # a refused attempt, or "Change something" on the review
            form = _form_from_draft(values, token, policies)
            _checked_draft(form, policies)
        else:
            form = FilingForm(formdata=None)
            form.set_categories(policies)
            form.submission_token.data = secrets.token_urlsafe(24)
            if request.args.get("category") in policies.categories:
                form.category.data = request.args["category"]
        return render_template("member/file.html", **_filing_context(form))
    form = FilingForm()
    form.set_categories(policies)
    valid = checked_filing(form, policies)
    token = form.submission_token.data or ""
    if valid and request.form.get("action") == "submit":
        # One step, without a review (a client that already showed one); files come along.
        return _send(form, token)
    if not drafts.save(db.session(), current_user, token, _draft_values()):
        if valid:
            form.form_errors.append(str(STALE_FORM))
        return render_template("member/file.html", **_filing_context(form)), 400
    db.commit()
    if not valid:
        return redirect(url_for("member.file", draft=token, _anchor="error-summary"), 303)
    return redirect(url_for("member.review", token=token), 303)


def _review_url() -> str:
    return url_for("member.review", token=(request.view_args or {}).get("token", ""), too_large=1)


@bp.route("/grievances/new/<token>", methods=["GET", "POST"])
@member_only
@too_large_returns(_review_url)
def review(token: str):  # type: ignore[no-untyped-def]
    accounts.require_confirmed(current_user)
    policies = current_policies()
    filed = intake.find_by_token(db.session(), token)
    if filed is not None and filed.belongs_to(current_user):
        # Back to the review after sending: the case, not a second copy of the form.
        return redirect(url_for("member.acknowledgement", reference=filed.reference), 303)
    values = drafts.load(db.session(), current_user, token)
    if values is None:
        flash(_("That draft is no longer available. Please start your grievance again."), "error")
        return redirect(url_for("member.file"), 303)
    form = _form_from_draft(values, token, policies)
    if request.method == "POST":
        return _send(form, token)
    if request.args.get("too_large"):
        form.evidence.errors = [too_large_message()]
    status = 400 if form.evidence.errors else 200
    return _review_page(form, status)


def _review_page(form: FilingForm, status: int = 200):  # type: ignore[no-untyped-def]
    context = _filing_context(form)
    return render_template(
        "member/review.html", filing=filing_from(form), rules=upload_rules(), **context
    ), status


def _send(form: FilingForm, token: str):  # type: ignore[no-untyped-def]
    filing = filing_from(form)
    filing.uploads = uploads()
    drafts.discard(db.session(), token)  # in the filing's transaction: gone only if it is filed
    try:
        case = file_once(current_user, current_user, filing, current_language())
    except InvalidInput as exc:
        attach_error(form, exc)
        if isinstance(exc, FilesNotStored):
            form.evidence.errors = [
                *form.evidence.errors,
                _("You can also send it without the files now, and add them from its page later."),
            ]
        if request.endpoint == "member.file":
            return render_template("member/file.html", **_filing_context(form)), 400
        return _review_page(form, 400)
    return redirect(url_for("member.acknowledgement", reference=case.reference), 303)


@bp.post("/grievances/triage")
@member_only
def triage_hint():  # type: ignore[no-untyped-def]
    """Suggestions while the member types (progressive enhancement of the form)."""
    accounts.require_confirmed(current_user)
    data = text_fields(json_object(), "subject", "narrative", "category")
    policies = current_policies()
    text = f"{data['subject']}\n{data['narrative']}"[:40000]
    suggestion = triage(text, policies)
    category = data["category"]
    duplicate = (
        intake.similar_open_case(db.session(), current_user, category)
        if category in policies.categories
        else None
    )
    suggested = policies.categories.get(suggestion.category or "")
    return jsonify(
        suggested_category=suggested.slug if suggested else None,
        suggested_label=localize(suggested.label, current_language()) if suggested else None,
        urgent=bool(suggestion.priority),
        duplicate=duplicate.reference if duplicate else None,
        duplicate_title=duplicate.subject if duplicate else None,
        duplicate_date=localdate(duplicate.submitted_at) if duplicate else None,
        duplicate_url=url_for("member.case", reference=duplicate.reference) if duplicate else None,
    )
