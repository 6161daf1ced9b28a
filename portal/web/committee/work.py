"""Working a case from its page: triage, notes, messages to the member, decisions.

Each POST goes through `casepage.change_case` (lock, one service call, commit, 303 back to
its section; a refusal re-renders the page with the form's errors). "Use this text" is a
GET that fills in the message from a canned response and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import db
from portal.domain.errors import InvalidInput
from portal.models.grievances import Grievance, InternalNote
from portal.policies import current_policies
from portal.services import casefile, casework, decisions, reassign, replies
from portal.services.casefile import Standing
from portal.web.access import signed_in
from portal.web.committee import bp
from portal.web.committee.casepage import change_case, render_case
from portal.web.committee.work_forms import (
    AssignForm,
    CategoryForm,
    DecisionForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StartForm,
    TakeForm,
)
from portal.web.filters import committee_name
from portal.web.forms import attach_error


@dataclass
class WorkView:
    """What the casework sections of the page may offer this person on this case."""

    may_triage: bool
    may_take: bool
    may_reply: bool
    may_request: bool
    decider: decisions.Decider
    choices: list[reassign.Choice] = field(default_factory=list)
    notes: list[InternalNote] = field(default_factory=list)
    decisions: list[decisions.Shown] = field(default_factory=list)


@bp.app_template_global()
def casework_view(case: Grievance, standing: Standing) -> WorkView:
    """Built once per page (the partials share it): a fixed number of queries."""
    cached: dict[object, WorkView] = g.setdefault("casework_views", {})
    if case.id not in cached:
        policies = current_policies()
        may_triage = reassign.may_triage(standing, case)
        cached[case.id] = WorkView(
            may_triage=may_triage,
            may_take=reassign.may_take(standing, case),
            may_reply=case.is_open and bool(standing.movers),
            may_request=casework.may_request_information(standing, case),
            decider=decisions.who_decides(current_user, case, standing, policies),
            choices=reassign.assignable(db.session(), case) if may_triage else [],
            notes=casework.notes(db.session(), case),
            decisions=decisions.shown_all(db.session(), case, policies),
        )
    return cached[case.id]


# --- triage ---------------------------------------------------------------------------------


@bp.post("/cases/<reference>/category")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def change_category(reference: str) -> Response | tuple[str, int]:
    form = CategoryForm(prefix="category")
    still_here = True

    def change(case: Grievance, standing: Standing) -> str:
        nonlocal still_here
        session = db.session()
        moved = reassign.change_category(
            session, current_user, case, standing, form.category.data or "", current_policies()
        )
        still_here = casefile.reachable(session, current_user, case) is not None
        if moved:
            return _(
                "The grievance is now with the %(committee)s committee, unassigned.",
                committee=committee_name(case.committee),
            )
        return _("The kind of grievance was changed.")

    response = change_case(reference, "category", form, change, "triage")
    if isinstance(response, Response) and response.status_code == 303 and not still_here:
        response.headers["Location"] = url_for("committee.queue_page")
    return response


@bp.post("/cases/<reference>/priority")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def change_priority(reference: str) -> Response | tuple[str, int]:
    form = PriorityForm(prefix="priority")

    def change(case: Grievance, standing: Standing) -> str:
        reassign.change_priority(
            db.session(),
            current_user,
            case,
            standing,
            form.priority.data or "",
            form.reason.data or "",
            current_policies(),
        )
        return _("The priority was changed and both promised dates worked out again.")

    return change_case(reference, "priority", form, change, "triage")


@bp.post("/cases/<reference>/assign")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def assign(reference: str) -> Response | tuple[str, int]:
    form = AssignForm(prefix="assign")

    def change(case: Grievance, standing: Standing) -> str:
        chosen = form.assignee.data or ""
        user_id = int(chosen) if chosen.isdigit() and len(chosen) < 10 else None
        assignee = reassign.assign(db.session(), current_user, case, standing, user_id)
        return _("The grievance is assigned to %(name)s.", name=assignee.full_name)

    return change_case(reference, "assign", form, change, "triage")


@bp.post("/cases/<reference>/take")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def take(reference: str) -> Response | tuple[str, int]:
    form = TakeForm(prefix="take")

    def change(case: Grievance, standing: Standing) -> str:
        reassign.take(db.session(), current_user, case, standing)
        return _("The grievance is assigned to you.")

    return change_case(reference, "take", form, change, "triage")


# --- notes and messages ---------------------------------------------------------------------


@bp.post("/cases/<reference>/notes")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def add_note(reference: str) -> Response | tuple[str, int]:
    form = NoteForm(prefix="note")

    def change(case: Grievance, standing: Standing) -> str:
        casework.add_note(db.session(), current_user, case, standing, form.body.data or "")
        return _("The note was saved. Only the committee can read it.")

    return change_case(reference, "note", form, change, "notes")


@bp.get("/cases/<reference>/reply")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def start_reply(reference: str) -> tuple[str, int]:
    """ "Use this text": the case page with the message filled in from a canned response."""
    session = db.session()
    found, standing = casefile.committee_case(session, current_user, reference)
    start = StartForm(formdata=request.args, prefix="start")
    if not start.validate():
        db.commit()  # the audited view
        return render_case(found, standing, 400, start=start)
    slug = start.response.data or ""
    try:
        text = replies.canned_text(session, found, slug, current_policies())
    except InvalidInput as exc:
        attach_error(start, exc)
        db.commit()
        return render_case(found, standing, 400, start=start)
    db.commit()
    reply = ReplyForm(prefix="reply", data={"body": text, "response": slug})
    return render_case(found, standing, reply=reply, start=start)


def _response_slug(form: ReplyForm) -> str | None:
    """Which canned response the message started from, if it names one (for the audit log)."""
    slug = form.response.data or ""
    return slug if slug in current_policies().canned_responses else None


@bp.post("/cases/<reference>/reply")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def send_reply(reference: str) -> Response | tuple[str, int]:
    form = ReplyForm(prefix="reply")

    def change(case: Grievance, standing: Standing) -> str:
        casework.send_reply(
            db.session(),
            current_user,
            case,
            standing,
            form.body.data or "",
            _response_slug(form),
            calendar=current_policies().calendar,
        )
        return _("Your message was sent to the member.")

    return change_case(reference, "reply", form, change, "reply")


@bp.post("/cases/<reference>/request-information")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def request_information(reference: str) -> Response | tuple[str, int]:
    form = ReplyForm(prefix="reply")

    def change(case: Grievance, standing: Standing) -> str:
        casework.request_information(
            db.session(),
            current_user,
            case,
            standing,
            form.body.data or "",
            _response_slug(form),
            calendar=current_policies().calendar,
        )
        return _("The member was asked for information. The clock is paused until they reply.")

    return change_case(reference, "reply", form, change, "reply")


# --- decision -------------------------------------------------------------------------------


@bp.post("/cases/<reference>/decision")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def decide(reference: str) -> Response | tuple[str, int]:
    form = DecisionForm(prefix="decision")

    def change(case: Grievance, standing: Standing) -> str:
        decisions.record_decision(
            db.session(),
            current_user,
            case,
            standing,
            outcome=form.outcome.data or "",
            rationale=form.rationale.data or "",
            remedy=form.remedy.data or "",
            clauses=list(form.clauses.data or []),
            policies=current_policies(),
        )
        return _("The decision was recorded. The member can read it on their case page.")

    return change_case(reference, "decision", form, change, "decision")
