from __future__ import annotations

import secrets

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.policies import current_policies
from portal.services import cases, intake
from portal.web.access import roles
from portal.web.casework import file_once, upload_rules, uploads
from portal.web.committee import bp
from portal.web.forms import attach_error
from portal.web.language import current_language
from portal.web.member.filing import checked_filing, filing_from
from portal.web.member.forms import StaffFilingForm


@bp.route("/record", methods=["GET", "POST"])
@roles(Role.REVIEWER, Role.CHAIR)
def record():  # type: ignore[no-untyped-def]
    """Record a grievance received by phone, email, letter or in person."""
    policies = current_policies()
    form = StaffFilingForm()
    form.set_categories(policies)
    member_id = request.values.get("member", type=int) or request.form.get("member_id", type=int)
    member = intake.member_for_intake(db.session(), current_user, member_id)
    if member is None:
        query = request.args.get("q", "")
        found = intake.search_members(db.session(), current_user, query)
        return render_template("committee/record_search.html", query=query, members=found)
    if request.method == "GET":
        form.submission_token.data = secrets.token_urlsafe(24)
        form.member_id.data = str(member.id)
    elif checked_filing(form, policies):
        filing = filing_from(form)
        filing.channel = form.channel.data or ""
        filing.uploads = uploads()
        try:
            # Staff read it out to the member: in the member's language when they chose one,
            # else in the language staff are working in.
            case = file_once(current_user, member, filing, member.language or current_language())
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            return redirect(url_for("committee.recorded", token=case.submission_token), 303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "committee/record.html", form=form, member=member, policies=policies, rules=upload_rules()
    ), status


@bp.get("/record/done/<token>")
@roles(Role.REVIEWER, Role.CHAIR)
def recorded(token: str):  # type: ignore[no-untyped-def]
    """The confirmation after recording (a GET, so Reload and Back resend nothing)."""
    case = intake.recorded_case(db.session(), current_user, token)
    if case is None:
        abort(404)
    member = cases.member_of(db.session(), case)
    return render_template("committee/recorded.html", case=case, member=member)
