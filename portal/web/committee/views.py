from __future__ import annotations

import secrets
from datetime import datetime

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.db import utcnow
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.i18n import zone_city
from portal.models.grievances import Grievance
from portal.policies import current_policies
from portal.services import claims, intake, recording
from portal.web.access import roles
from portal.web.casework import file_once, upload_rules, uploads
from portal.web.committee import bp
from portal.web.forms import attach_error
from portal.web.language import current_language
from portal.web.member.filing import checked_filing, filing_from
from portal.web.member.forms import StaffFilingForm

NEW = "new"  # member_id of a grievance recorded for someone without an account


def staff_case_url(case: Grievance) -> str:
    """Where staff open a case. The committee's case page does not exist yet; until it
    does, this is the confirmation page of the case they recorded."""
    return url_for("committee.recorded", reference=case.reference)


def _received(form: StaffFilingForm) -> datetime | None:
    """The typed date and time, read in the association's time zone."""
    typed = form.received_at.data
    if typed is None:
        return None
    return typed.replace(tzinfo=current_policies().calendar.time_zone)


@bp.route("/record", methods=["GET", "POST"])
@roles(Role.REVIEWER, Role.CHAIR)
def record():  # type: ignore[no-untyped-def]
    """Record a grievance received by phone, email, letter or in person."""
    policies = current_policies()
    form = StaffFilingForm()
    form.set_categories(policies)
    form.received_at.description = _(
        "In %(zone)s time. The response dates count from this moment. "
        "Not in the future, and at most %(days)d days ago.",
        zone=zone_city(policies.calendar.time_zone, current_language()),
        days=recording.MAX_AGE.days,
    )
    wanted = request.values.get("member") or request.form.get("member_id") or ""
    unregistered = wanted == NEW
    member = None
    if not unregistered:
        member_id = int(wanted) if wanted.isdigit() and len(wanted) < 12 else None
        member = intake.member_for_intake(db.session(), current_user, member_id)
        if member is None:
            query = request.args.get("q", "")
            found = intake.search_members(db.session(), current_user, query)
            return render_template(
                "committee/record_search.html",
                query=query,
                members=found,
                too_short=0 < len(query.strip()) < intake.MIN_SEARCH,
                min_search=intake.MIN_SEARCH,
            )
    if request.method == "GET":
        form.submission_token.data = secrets.token_urlsafe(24)
        form.member_id.data = NEW if unregistered else str(member.id)  # type: ignore[union-attr]
        now = utcnow().astimezone(policies.calendar.time_zone)
        form.received_at.data = now.replace(second=0, microsecond=0, tzinfo=None)
    elif checked_filing(form, policies):
        filing = filing_from(form)
        filing.channel = form.channel.data or ""
        filing.received_at = _received(form)
        filing.internal_note = form.internal_note.data or ""
        if unregistered:
            filing.claimant = claims.ClaimantDetails(
                full_name=form.claimant_name.data or "",
                email=form.claimant_email.data or "",
                phone=form.claimant_phone.data or "",
            )
        filing.uploads = uploads()
        try:
            # Staff read it out to the member: in the member's language when they chose one,
            # else in the language staff are working in.
            language = (member.language if member else None) or current_language()
            case = file_once(current_user, member, filing, language)
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            return redirect(staff_case_url(case), 303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "committee/record.html",
        form=form,
        member=member,
        policies=policies,
        rules=upload_rules(),
    ), status


@bp.get("/record/<reference>")
@roles(Role.REVIEWER, Role.CHAIR)
def recorded(reference: str):  # type: ignore[no-untyped-def]
    """The confirmation of a grievance this staff member recorded."""
    found = recording.recorded_case(db.session(), current_user, reference)
    db.commit()  # the audited read
    return render_template(
        "committee/recorded.html", found=found, case=found.case, case_url=staff_case_url
    )
