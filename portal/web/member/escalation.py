"""The member climbs the ladder: asking for escalation after a missed date, and appealing a
decision within its window. Both confirm first (portal/web/confirm.py)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.policies import current_policies
from portal.policies.texts import localize
from portal.services import cases, escalation
from portal.web.access import roles
from portal.web.confirm import Confirmation, ConfirmForm, confirmation_page, unconfirmed
from portal.web.forms import attach_error
from portal.web.language import current_language
from portal.web.member import bp
from portal.web.member.forms import AppealForm

member_only = roles(Role.MEMBER)


def _words(text: object) -> str:
    return str(localize(text, current_language()))


def _load(reference: str):  # type: ignore[no-untyped-def]
    posting = request.method == "POST"
    return cases.member_case(
        db.session(), current_user, reference, audit_view=not posting, for_update=posting
    )


@bp.route("/grievances/<reference>/escalate", methods=["GET", "POST"])
@member_only
def escalate(reference: str):  # type: ignore[no-untyped-def]
    found = _load(reference)
    policies = current_policies()
    form = ConfirmForm()
    if request.method == "POST" and (back := unconfirmed()):
        return back
    if form.validate_on_submit():
        try:
            level = escalation.request_escalation(db.session(), current_user, found, policies)
            db.commit()
        except InvalidInput as exc:
            db.session().rollback()
            attach_error(form, exc)
            found = cases.member_case(db.session(), current_user, reference, audit_view=False)
        else:
            flash(
                _(
                    "Your grievance is now at level %(number)d: %(title)s.",
                    number=level.number,
                    title=_words(level.title),
                ),
                "success",
            )
            return redirect(url_for("member.case", reference=reference), 303)
    status = 400 if form.errors or form.form_errors else 200
    db.commit()  # the audited view
    level = escalation.next_level_for(
        policies.ladder, found.escalation_level, escalation.MEMBER_REQUEST
    )
    lines = [_("A date we promised you on “%(subject)s” has passed.", subject=found.subject)]
    if level is not None:
        lines += [
            _(
                "Your grievance goes to level %(number)d: %(title)s. Who acts there: %(actor)s.",
                number=level.number,
                title=_words(level.title),
                actor=_words(level.actor_label),
            ),
            _words(level.description),
        ]
    lines.append(_("You can ask for this only once."))
    confirmation = Confirmation(
        title=_("Ask for escalation of %(ref)s?", ref=reference),
        consequences=lines,
        button=_("Ask for escalation"),
        cancel_url=url_for("member.case", reference=reference),
        cancel=_("Not now"),
    )
    return confirmation_page(confirmation, form, status=status)


@bp.route("/grievances/<reference>/appeal", methods=["GET", "POST"])
@member_only
def appeal(reference: str):  # type: ignore[no-untyped-def]
    found = _load(reference)
    policies = current_policies()
    form = AppealForm()
    if request.method == "POST" and (back := unconfirmed()):
        return back
    if form.validate_on_submit():
        try:
            level = escalation.appeal(
                db.session(), current_user, found, form.reason.data or "", policies
            )
            db.commit()
        except InvalidInput as exc:
            db.session().rollback()
            attach_error(form, exc)
            found = cases.member_case(db.session(), current_user, reference, audit_view=False)
        else:
            flash(
                _(
                    "Your appeal is received. It goes to level %(number)d: %(title)s.",
                    number=level.number,
                    title=_words(level.title),
                ),
                "success",
            )
            return redirect(url_for("member.case", reference=reference), 303)
    status = 400 if form.errors or form.form_errors else 200
    db.commit()  # the audited view
    level = escalation.next_level_for(
        policies.ladder, found.escalation_level, escalation.MEMBER_APPEAL
    )
    lines = [_("The decision on “%(subject)s” is looked at again.", subject=found.subject)]
    if level is not None:
        lines += [
            _(
                "Your appeal goes to level %(number)d: %(title)s. Who acts there: %(actor)s.",
                number=level.number,
                title=_words(level.title),
                actor=_words(level.actor_label),
            ),
            _words(level.description),
        ]
    lines.append(_("You can appeal a decision only once."))
    confirmation = Confirmation(
        title=_("Appeal the decision on %(ref)s?", ref=reference),
        consequences=lines,
        button=_("Send my appeal"),
        cancel_url=url_for("member.case", reference=reference),
        cancel=_("Keep the decision"),
    )
    return confirmation_page(confirmation, form, fields=["reason"], status=status)
