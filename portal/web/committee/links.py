"""Case page actions of the links section: declare a conflict, merge a duplicate, link cases."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput, StaleCase
from portal.models.grievances import Grievance
from portal.policies import current_policies
from portal.services import casefile, linking, merging, recusals, versions
from portal.services.casefile import Standing
from portal.web.access import signed_in
from portal.web.committee import bp
from portal.web.committee.casepage import change_case, render_case
from portal.web.committee.link_forms import LinkForm, MergeForm, UnlinkForm
from portal.web.confirm import Confirmation, ConfirmForm, confirmation_page, unconfirmed
from portal.web.forms import attach_error


@bp.route("/cases/<reference>/recuse", methods=["GET", "POST"])
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def recuse(reference: str):  # type: ignore[no-untyped-def]
    """Anyone who can open a case may step back from it; they lose access at once."""
    posting = request.method == "POST"
    found, _standing = casefile.committee_case(
        db.session(), current_user, reference, audit_view=not posting, for_update=posting
    )
    form = ConfirmForm()
    if posting and (back := unconfirmed()):
        return back
    if form.validate_on_submit():
        recusals.declare(db.session(), current_user, found, current_policies())
        db.commit()
        flash(
            _(
                "You have stepped back from %(ref)s. It no longer appears in your queue "
                "and you cannot open it.",
                ref=reference,
            ),
            "success",
        )
        return redirect(url_for("committee.queue_page"), 303)
    db.commit()  # the audited view
    return confirmation_page(
        Confirmation(
            title=_("Declare a conflict of interest on %(ref)s?", ref=reference),
            consequences=[
                _(
                    "You will no longer see “%(subject)s”: not in your queue, not on its page, "
                    "not in its files.",
                    subject=found.subject,
                ),
                _("If it is assigned to you, it goes back to the committee's unassigned cases."),
                _(
                    "If no other chair of the committee is free to act on it, it moves up "
                    "the escalation ladder."
                ),
                _("Your declaration is recorded in the audit log."),
            ],
            button=_("Declare a conflict and step back"),
            cancel_url=url_for("committee.case", reference=reference),
            cancel=_("Keep working on it"),
        ),
        form,
        status=400 if posting else 200,
    )


@bp.get("/cases/<reference>/merge")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def merge_confirm(reference: str):  # type: ignore[no-untyped-def]
    """The merge form of the case page arrives here (a GET): checked, then confirmed."""
    session = db.session()
    found, standing = casefile.committee_case(session, current_user, reference)
    typed = MergeForm(prefix="merge", formdata=request.args, meta={"csrf": False})
    try:
        target = merging.survivor(session, current_user, found, standing, typed.into.data or "")
        versions.check(found, typed.version.data, typed.seen.data)
    except StaleCase as exc:
        db.commit()  # the audited view
        return render_case(found, standing, 409, exc, merge=typed)
    except InvalidInput as exc:
        attach_error(typed, exc)
        db.commit()
        return render_case(found, standing, 400, merge=typed)
    db.commit()
    form = MergeForm(prefix="merge")
    form.into.data = target.reference
    form.version.data, form.seen.data = typed.version.data, typed.seen.data
    return confirmation_page(
        Confirmation(
            title=_("Merge %(ref)s into %(into)s?", ref=reference, into=target.reference),
            consequences=[
                _(
                    "%(ref)s “%(subject)s” is closed as a duplicate; work continues on "
                    "%(into)s “%(into_subject)s”.",
                    ref=reference,
                    subject=found.subject,
                    into=target.reference,
                    into_subject=target.subject,
                ),
                _(
                    "Its timeline, messages and files are shown on %(into)s together with "
                    "that case's own.",
                    into=target.reference,
                ),
                _("The member is told on both cases' timelines."),
            ],
            button=_("Merge the cases"),
            cancel_url=url_for("committee.case", reference=reference, _anchor="links"),
            cancel=_("Keep them apart"),
        ),
        form,
        hidden=("into", "version", "seen"),
    )


@bp.post("/cases/<reference>/merge")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def merge(reference: str):  # type: ignore[no-untyped-def]
    if back := unconfirmed():
        return back
    form = MergeForm(prefix="merge")

    def change(found: Grievance, standing: Standing) -> str:
        target = merging.merge(
            db.session(),
            current_user,
            found,
            standing,
            form.into.data or "",
            current_policies(),
        )
        return _(
            "%(ref)s was merged into %(into)s. The member has been told.",
            ref=found.reference,
            into=target.reference,
        )

    return change_case(reference, "merge", form, change, "links")


@bp.post("/cases/<reference>/links")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def link(reference: str):  # type: ignore[no-untyped-def]
    form = LinkForm(prefix="link")

    def change(found: Grievance, _standing: Standing) -> str:
        other = linking.link(db.session(), current_user, found, form.reference.data or "")
        return _("%(ref)s is now linked to this case.", ref=other.reference)

    return change_case(reference, "link", form, change, "links")


@bp.post("/cases/<reference>/links/remove")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def unlink(reference: str):  # type: ignore[no-untyped-def]
    form = UnlinkForm(prefix="unlink")

    def change(found: Grievance, _standing: Standing) -> str:
        other = linking.unlink(db.session(), current_user, found, form.reference.data or "")
        return _("%(ref)s is no longer linked to this case.", ref=other.reference)

    return change_case(reference, "unlink", form, change, "links")
