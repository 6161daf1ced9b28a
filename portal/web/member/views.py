from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import db
from portal.db import utcnow
from portal.domain import workflow
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.policies import current_policies
from portal.services import (
    cases,
    claims,
    decisions,
    escalation,
    evidence,
    intake,
    merging,
    panels_vote,
    promises,
)
from portal.web.access import roles
from portal.web.casework import store, upload_rules, uploads
from portal.web.confirm import Confirmation, ConfirmForm, confirmation_page, unconfirmed
from portal.web.forms import attach_error
from portal.web.member import bp
from portal.web.member.forms import (
    ClaimForm,
    EvidenceForm,
    MessageForm,
    WithdrawForm,
)
from portal.web.uploads import too_large_message, too_large_returns

member_only = roles(Role.MEMBER)


@bp.get("/my/grievances")
@member_only
def my_grievances():  # type: ignore[no-untyped-def]
    page = cases.my_cases(db.session(), current_user, request.args.get("page", 1, type=int))
    db.commit()  # the audited listing
    policies, now = current_policies(), utcnow()
    rows = [(c, workflow.info(c.status), cases.next_date(c, policies, now)) for c in page.cases]
    return render_template(
        "member/my_grievances.html",
        page=page,
        rows=rows,
        channels=intake.CHANNEL_LABELS,
        claim_form=ClaimForm(),
    )


@bp.post("/my/grievances/claim")
@member_only
def claim():  # type: ignore[no-untyped-def]
    """Add a grievance staff recorded before the member had an account."""
    form = ClaimForm()
    found = []
    if form.validate_on_submit():
        found = claims.claim_recorded_cases(db.session(), current_user, form.code.data or "")
        db.commit()
    if found:
        flash(
            ngettext(
                "%(num)d grievance was added to your account.",
                "%(num)d grievances were added to your account.",
                len(found),
            ),
            "success",
        )
    else:
        flash(
            _(
                "No grievance recorded for the email address of your account matches this "
                "code. Check the code, or ask the office which email address they recorded."
            ),
            "error",
        )
    return redirect(url_for("member.my_grievances"), 303)


@bp.get("/grievances/<reference>/acknowledgement")
@member_only
def acknowledgement(reference: str):  # type: ignore[no-untyped-def]
    case = cases.member_case(db.session(), current_user, reference)
    db.commit()
    return render_template("member/acknowledgement.html", case=case, policies=current_policies())


@bp.get("/grievances/<reference>")
@member_only
def case(reference: str):  # type: ignore[no-untyped-def]
    found = cases.member_case(db.session(), current_user, reference)
    db.commit()
    message_form, evidence_form = MessageForm(), EvidenceForm()
    refused = request.args.get("too_large")
    if refused in ("messages", "evidence"):
        # Back from a body too large to read: the form it came from says why, nothing is lost
        # that can be kept (a message typed beside the files could not be read).
        form = message_form if refused == "messages" else evidence_form
        form.evidence.errors = [too_large_message()]
        return _case_page(found, message_form, evidence_form, 400)
    return _case_page(found, message_form, evidence_form)


def _back_to(section: str):  # type: ignore[no-untyped-def]
    def target() -> str:
        reference = (request.view_args or {}).get("reference", "")
        return url_for("member.case", reference=reference, too_large=section, _anchor=section)

    return too_large_returns(target)


def _case_page(found, message_form, evidence_form, status=200):  # type: ignore[no-untyped-def]
    policies, now = current_policies(), utcnow()
    # A duplicate merged into this case shows its timeline, messages and files here too.
    combined = merging.combined(found, merging.merged_into(db.session(), found))
    return (
        render_template(
            "member/case.html",
            case=found,
            info=workflow.info(found.status),
            next=cases.next_date(found, policies, now),
            escalation_offer=escalation.escalation_offer(found, policies, now),
            appeal_offer=escalation.appeal_offer(found, policies, now),
            promises=promises.case_promises(found, policies),
            events=[e for e in combined.events if e.public],
            messages=combined.messages,
            attachments=[a for a in combined.attachments if a.from_member],
            merged_ids=combined.merged_ids,
            decisions=decisions.for_member(found, policies),
            appeal=decisions.appeal_state(found, policies, utcnow()),
            panel_tallies=panels_vote.tallies(db.session(), current_user, found),
            message_form=message_form,
            evidence_form=evidence_form,
            policies=policies,
            channels=intake.CHANNEL_LABELS,
            rules=upload_rules(),
        ),
        status,
    )


def _change_case(reference: str, form, change, anchor: str, slot: str):  # type: ignore[no-untyped-def]
    """One member change to their case: lock it, apply `change`, commit, go back to the
    section changed; on a refusal, show the case again with the message by the form."""
    found = cases.member_case(
        db.session(), current_user, reference, audit_view=False, for_update=True
    )
    if form.validate_on_submit():
        try:
            message = change(found)
            db.commit()
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            flash(message, "success")
            return redirect(url_for("member.case", reference=reference, _anchor=anchor), 303)
    found = cases.member_case(db.session(), current_user, reference)
    db.commit()
    forms = {"message_form": MessageForm(), "evidence_form": EvidenceForm(), slot: form}
    return _case_page(found, forms["message_form"], forms["evidence_form"], 400)


@bp.post("/grievances/<reference>/messages")
@member_only
@_back_to("messages")
def send_message(reference: str):  # type: ignore[no-untyped-def]
    form = MessageForm()

    def change(found):  # type: ignore[no-untyped-def]
        cases.send_message(
            db.session(),
            current_user,
            found,
            form.body.data or "",
            uploads(),
            store(),
            upload_rules(),
            current_policies().calendar,
        )
        return _("Your message was sent to the committee.")

    return _change_case(reference, form, change, "messages", "message_form")


@bp.post("/grievances/<reference>/evidence")
@member_only
@_back_to("evidence")
def add_evidence(reference: str):  # type: ignore[no-untyped-def]
    form = EvidenceForm()

    def change(found):  # type: ignore[no-untyped-def]
        added = cases.add_evidence(
            db.session(), current_user, found, uploads(), store(), upload_rules()
        )
        return ngettext(
            "%(num)d file added to your grievance.",
            "%(num)d files added to your grievance.",
            len(added),
        )

    return _change_case(reference, form, change, "evidence", "evidence_form")


@bp.get("/grievances/<reference>/evidence/<attachment_id>")
@member_only
def download(reference: str, attachment_id: str):  # type: ignore[no-untyped-def]
    found = cases.member_case(db.session(), current_user, reference, audit_view=False)
    attachment = cases.member_attachment(db.session(), current_user, found, attachment_id)
    name, kind = evidence.download_name(attachment)
    body = evidence.read(store(), attachment)
    db.commit()
    response = Response(body, mimetype=kind)
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@bp.route("/grievances/<reference>/reveal", methods=["GET", "POST"])
@member_only
def reveal(reference: str):  # type: ignore[no-untyped-def]
    posting = request.method == "POST"
    found = cases.member_case(
        db.session(), current_user, reference, audit_view=not posting, for_update=posting
    )
    form = ConfirmForm()
    if posting and (back := unconfirmed()):
        return back
    if form.validate_on_submit():
        cases.reveal_identity(db.session(), current_user, found)
        db.commit()
        flash(_("The committee can now see your name."), "success")
        return redirect(url_for("member.case", reference=reference), 303)
    db.commit()  # the audited view
    return confirmation_page(
        Confirmation(
            title=_("Let the committee see your name on %(ref)s?", ref=reference),
            consequences=[
                _(
                    "Reviewers of “%(subject)s” will see your name instead of “Member (identity withheld)”.",
                    subject=found.subject,
                ),
                _("They may contact you about it by name."),
            ],
            button=_("Let the committee see my name"),
            cancel_url=url_for("member.case", reference=reference),
            cancel=_("Keep my identity hidden"),
        ),
        form,
    )


@bp.route("/grievances/<reference>/withdraw", methods=["GET", "POST"])
@member_only
def withdraw(reference: str):  # type: ignore[no-untyped-def]
    posting = request.method == "POST"
    found = cases.member_case(
        db.session(), current_user, reference, audit_view=not posting, for_update=posting
    )
    form = WithdrawForm()
    if posting and (back := unconfirmed()):
        return back
    if form.validate_on_submit():
        try:
            cases.withdraw(
                db.session(),
                current_user,
                found,
                form.reason.data or "",
                current_policies().calendar,
            )
            db.commit()
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            flash(
                _(
                    "Grievance %(ref)s is withdrawn. The committee will take no further action.",
                    ref=reference,
                ),
                "success",
            )
            return redirect(url_for("member.case", reference=reference), 303)
    status = 400 if form.errors or form.form_errors else 200
    db.commit()  # the audited view
    confirmation = Confirmation(
        title=_("Withdraw grievance %(ref)s?", ref=reference),
        consequences=[
            _("The committee stops working on “%(subject)s”.", subject=found.subject),
            _("You can file a new grievance later if you need to."),
        ],
        button=_("Withdraw my grievance"),
        cancel_url=url_for("member.case", reference=reference),
        cancel=_("Keep it open"),
    )
    return confirmation_page(confirmation, form, fields=["reason"], status=status)
