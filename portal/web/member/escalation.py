"""The member climbs the ladder: asking for escalation after a missed date, and appealing a
decision within its window. Both confirm first (portal/web/confirm.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.models.grievances import Grievance
from portal.policies import current_policies
from portal.policies.texts import localize
from portal.policies.types import Level
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


@dataclass(frozen=True)
class Step:
    """One climb the member may ask for, and how its confirmation page reads."""

    trigger: str  # the ladder trigger that names the level it goes to
    act: Callable[[Grievance, ConfirmForm], Level]  # the service call; raises InvalidInput
    done: str  # flashed after, with %(number)d and %(title)s
    why: str  # the first line of the confirmation
    goes: str  # "goes to level …", with %(number)d, %(title)s and %(actor)s
    once: str
    title: str
    button: str
    cancel: str
    fields: tuple[str, ...] = ()


def _climb(reference: str, form: ConfirmForm, step: Step):  # type: ignore[no-untyped-def]
    """Confirm, then take the step; a refusal shows the confirmation again with why."""
    found = _load(reference)
    policies = current_policies()
    if request.method == "POST" and (back := unconfirmed()):
        return back
    if form.validate_on_submit():
        try:
            level = step.act(found, form)
            db.commit()
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
            found = cases.member_case(db.session(), current_user, reference, audit_view=False)
        else:
            flash(step.done % {"number": level.number, "title": _words(level.title)}, "success")
            return redirect(url_for("member.case", reference=reference), 303)
    status = 400 if form.errors or form.form_errors else 200
    db.commit()  # the audited view
    level = escalation.next_level_for(policies.ladder, found.escalation_level, step.trigger)
    lines = [step.why % {"subject": found.subject}]
    if level is not None:
        words = {
            "number": level.number,
            "title": _words(level.title),
            "actor": _words(level.actor_label),
        }
        lines += [step.goes % words, _words(level.description)]
    lines.append(step.once)
    confirmation = Confirmation(
        title=step.title % {"ref": reference},
        consequences=lines,
        button=step.button,
        cancel_url=url_for("member.case", reference=reference),
        cancel=step.cancel,
    )
    return confirmation_page(confirmation, form, fields=list(step.fields), status=status)


@bp.route("/grievances/<reference>/escalate", methods=["GET", "POST"])
@member_only
def escalate(reference: str):  # type: ignore[no-untyped-def]
    def act(found: Grievance, _form: ConfirmForm) -> Level:
        return escalation.request_escalation(db.session(), current_user, found, current_policies())

    step = Step(
        trigger=escalation.MEMBER_REQUEST,
        act=act,
        done=_("Your grievance is now at level %(number)d: %(title)s."),
        why=_("A date we promised you on “%(subject)s” has passed."),
        goes=_("Your grievance goes to level %(number)d: %(title)s. Who acts there: %(actor)s."),
        once=_("You can ask for this only once."),
        title=_("Ask for escalation of %(ref)s?"),
        button=_("Ask for escalation"),
        cancel=_("Not now"),
    )
    return _climb(reference, ConfirmForm(), step)


@bp.route("/grievances/<reference>/appeal", methods=["GET", "POST"])
@member_only
def appeal(reference: str):  # type: ignore[no-untyped-def]
    def act(found: Grievance, form: ConfirmForm) -> Level:
        reason = form.reason.data or ""  # type: ignore[attr-defined]
        return escalation.appeal(db.session(), current_user, found, reason, current_policies())

    step = Step(
        trigger=escalation.MEMBER_APPEAL,
        act=act,
        done=_("Your appeal is received. It goes to level %(number)d: %(title)s."),
        why=_("The decision on “%(subject)s” is looked at again."),
        goes=_("Your appeal goes to level %(number)d: %(title)s. Who acts there: %(actor)s."),
        once=_("You can appeal a decision only once."),
        title=_("Appeal the decision on %(ref)s?"),
        button=_("Send my appeal"),
        cancel=_("Keep the decision"),
        fields=("reason",),
    )
    return _climb(reference, AppealForm(), step)
