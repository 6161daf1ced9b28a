"""The committee's queue and case page: reading a case, plain status moves, evidence."""

from __future__ import annotations

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.domain.roles import COMMITTEE_ROLES
from portal.domain.workflow import Status
from portal.models.grievances import Grievance
from portal.policies import current_policies
from portal.policies.texts import localize
from portal.services import casefile, evidence, queue
from portal.services.casefile import Standing
from portal.web.access import roles, signed_in
from portal.web.casework import store
from portal.web.committee import bp
from portal.web.committee.case_forms import MoveForm
from portal.web.committee.casepage import change_case, render_case
from portal.web.language import current_language

CASEWORK = tuple(COMMITTEE_ROLES)


def _filters() -> queue.Filters:
    args = request.args
    level = args.get("level", "")
    return queue.Filters(
        status=args.get("status", ""),
        priority=args.get("priority", ""),
        category=args.get("category", ""),
        assignee=args.get("assignee", ""),
        sla=args.get("sla", ""),
        channel=args.get("channel", ""),
        level=int(level) if level.isdigit() and len(level) < 3 else None,
        sort=args.get("sort", "due") or "due",
    )


@bp.get("/queue")
@roles(*CASEWORK)
def queue_page():  # type: ignore[no-untyped-def]
    filters = _filters()
    error = None
    try:
        page = queue.queue(db.session(), current_user, filters, request.args.get("after"))
    except InvalidInput as exc:
        error = exc.message
        filters = queue.Filters()
        page = queue.queue(db.session(), current_user, filters)
    db.commit()
    more_url = None
    if page.next_cursor:
        args = {k: v for k, v in request.args.items() if k != "after" and v}
        more_url = url_for("committee.queue_page", **args, after=page.next_cursor)
    policies = current_policies()
    language = current_language()
    return render_template(
        "committee/queue.html",
        more_url=more_url,
        page=page,
        filters=filters,
        error=error,
        policies=policies,
        priority_names={k: localize(p.label, language) for k, p in policies.priorities.items()},
        states=queue.SLA_STATES,
        statuses=[s for s in Status if s in queue.OPEN_STATUSES],
    ), 400 if error else 200


@bp.get("/cases/<reference>")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def case(reference: str):  # type: ignore[no-untyped-def]
    found, standing = casefile.committee_case(db.session(), current_user, reference)
    db.commit()  # the audited read
    return render_case(found, standing)


@bp.post("/cases/<reference>/status")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def move(reference: str):  # type: ignore[no-untyped-def]
    form = MoveForm(prefix="move")

    def change(found: Grievance, standing: Standing) -> str:
        moved = casefile.move(db.session(), current_user, found, standing, form.target.data or "")
        return _(
            "The grievance is now “%(status)s”.", status=str(casefile.workflow.info(moved).label)
        )

    return change_case(reference, "move", form, change, "status")


@bp.get("/cases/<reference>/evidence/<attachment_id>")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def download(reference: str, attachment_id: str):  # type: ignore[no-untyped-def]
    found, _standing = casefile.committee_case(
        db.session(), current_user, reference, audit_view=False
    )
    attachment = casefile.attachment(db.session(), current_user, found, attachment_id)
    name, kind = evidence.download_name(attachment)
    body = evidence.read(store(), attachment)
    db.commit()
    response = Response(body, mimetype=kind)
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers.set("X-Content-Type-Options", "nosniff")
    return response
