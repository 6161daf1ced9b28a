from __future__ import annotations

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.services import accounts, committees, directory
from portal.web.access import roles
from portal.web.admin import bp
from portal.web.admin.forms import (
    CommitteeForm,
    InviteForm,
    RolesForm,
    SeatForm,
    UserSearchForm,
)
from portal.web.confirm import Confirmation, ConfirmForm, confirmation_page, unconfirmed
from portal.web.forms import PortalForm, attach_error

admin_only = roles(Role.ADMIN)
INVITED_KEY = "invited"


@bp.get("/users")
@admin_only
def users():  # type: ignore[no-untyped-def]
    form = UserSearchForm(request.args)
    role = Role(form.role.data) if form.role.data in set(Role) else None
    page = directory.search_users(
        db.session(), current_user, form.q.data or "", role, request.args.get("page", 1, type=int)
    )
    return render_template("admin/users.html", form=form, page=page)


@bp.route("/users/invite", methods=["GET", "POST"])
@admin_only
def invite():  # type: ignore[no-untyped-def]
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = accounts.invite(
                db.session(),
                current_user,
                full_name=form.full_name.data or "",
                email=form.email.data or "",
                member_number=form.member_number.data,
                roles={Role(r) for r in form.roles.data or []},
            )
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            db.commit()
            # The configured public address, never the request's Host header.
            base = current_app.extensions["portal.settings"].base_url.rstrip("/")
            link = base + url_for("auth.set_password", token=invitation.token)
            # Post/Redirect/Get: the link waits in this browser's session for the page that
            # shows it, so Reload and Back show it again rather than resend the invitation.
            session[INVITED_KEY] = {"user": invitation.user.id, "link": link}
            return redirect(url_for("admin.invited", user_id=invitation.user.id), 303)
    return render_template("admin/invite.html", form=form), 400 if form.errors else 200


@bp.get("/users/<int:user_id>/invited")
@admin_only
def invited(user_id: int):  # type: ignore[no-untyped-def]
    person = directory.get_user(db.session(), current_user, user_id)
    kept = session.get(INVITED_KEY) or {}
    if kept.get("user") != user_id:
        return redirect(url_for("admin.user", user_id=user_id), 303)
    response = make_response(render_template("admin/invited.html", user=person, link=kept["link"]))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/users/<int:user_id>")
@admin_only
def user(user_id: int):  # type: ignore[no-untyped-def]
    person = directory.get_user(db.session(), current_user, user_id)
    roles_form = RolesForm(data={"roles": sorted(person.roles)})
    return render_template(
        "admin/user.html",
        person=person,
        roles_form=roles_form,
        active_form=PortalForm(),
        seats=committees.committees_of(db.session(), current_user, person),
    )


@bp.post("/users/<int:user_id>/roles")
@admin_only
def user_roles(user_id: int):  # type: ignore[no-untyped-def]
    person = directory.get_user(db.session(), current_user, user_id)
    form = RolesForm()
    if form.validate_on_submit():
        try:
            directory.set_roles(
                db.session(), current_user, person, {Role(r) for r in form.roles.data or []}
            )
        except InvalidInput as exc:
            db.rollback()
            flash(str(exc), "error")
            return redirect(url_for("admin.user", user_id=user_id), 303)
        db.commit()
        flash(_("Roles of %(name)s updated.", name=person.full_name), "success")
    else:
        flash(_("Choose valid roles."), "error")
    return redirect(url_for("admin.user", user_id=user_id), 303)


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@admin_only
def user_deactivate(user_id: int):  # type: ignore[no-untyped-def]
    person = directory.get_user(db.session(), current_user, user_id)
    form = ConfirmForm()
    if request.method == "POST" and (back := unconfirmed()):
        return back
    if form.validate_on_submit():
        return _set_active(person, False)
    return confirmation_page(
        Confirmation(
            title=_("Deactivate the account of %(name)s?", name=person.full_name),
            consequences=[
                _(
                    "%(name)s is signed out everywhere at once and cannot sign in.",
                    name=person.full_name,
                ),
                _("Their account, grievances and committee seats are kept."),
                _("You can reactivate the account later from this page."),
            ],
            button=_("Deactivate account"),
            cancel_url=url_for("admin.user", user_id=user_id),
            irreversible=False,
        ),
        form,
    )


@bp.post("/users/<int:user_id>/reactivate")
@admin_only
def user_reactivate(user_id: int):  # type: ignore[no-untyped-def]
    person = directory.get_user(db.session(), current_user, user_id)
    if PortalForm().validate_on_submit():  # reversible: one click, with its CSRF token
        return _set_active(person, True)
    return redirect(url_for("admin.user", user_id=user_id), 303)


def _set_active(person, active: bool):  # type: ignore[no-untyped-def]
    try:
        directory.set_active(db.session(), current_user, person, active)
    except InvalidInput as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash(
            _("%(name)s can sign in again.", name=person.full_name)
            if active
            else _("%(name)s is deactivated and signed out everywhere.", name=person.full_name),
            "success",
        )
    return redirect(url_for("admin.user", user_id=person.id), 303)


@bp.route("/committees", methods=["GET", "POST"])
@admin_only
def committees_page():  # type: ignore[no-untyped-def]
    form = CommitteeForm()
    if form.validate_on_submit():
        try:
            committee = committees.save_committee(
                db.session(),
                current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                slug=form.slug.data or None,
            )
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            db.commit()
            flash(_("Committee “%(name)s” created.", name=committee.name), "success")
            return redirect(url_for("admin.committee", committee_id=committee.id), 303)
    listing = committees.list_committees(db.session(), current_user)
    return render_template("admin/committees.html", form=form, committees=listing), (
        400 if form.errors else 200
    )


@bp.route("/committees/<int:committee_id>", methods=["GET", "POST"])
@admin_only
def committee(committee_id: int):  # type: ignore[no-untyped-def]
    item = committees.get_committee(db.session(), current_user, committee_id)
    form = CommitteeForm(obj=item)
    if form.validate_on_submit():
        try:
            committees.save_committee(
                db.session(),
                current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                committee=item,
            )
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            db.commit()
            flash(_("Committee saved."), "success")
            return redirect(url_for("admin.committee", committee_id=committee_id), 303)
    return _committee_page(item, form=form)


def _committee_page(item, form=None, seat_form=None):  # type: ignore[no-untyped-def]
    form = form or CommitteeForm(obj=item)
    seat_form = seat_form or SeatForm()
    status = 400 if form.errors or seat_form.errors else 200
    return (
        render_template(
            "admin/committee.html",
            committee=item,
            form=form,
            seat_form=seat_form,
        ),
        status,
    )


@bp.post("/committees/<int:committee_id>/seats")
@admin_only
def committee_seat(committee_id: int):  # type: ignore[no-untyped-def]
    item = committees.get_committee(db.session(), current_user, committee_id)
    seat_form = SeatForm()
    if seat_form.validate_on_submit():
        person = committees.find_user_by_email(
            db.session(), current_user, seat_form.email.data or ""
        )
        if person is None:
            seat_form.email.errors.append(_("No account has this email address."))
        else:
            try:
                committees.add_member(
                    db.session(), current_user, item, person, Seat(seat_form.seat.data)
                )
            except InvalidInput as exc:
                db.rollback()
                seat_form.email.errors.append(str(exc))
            else:
                db.commit()
                flash(
                    _(
                        "%(name)s now sits on %(committee)s.",
                        name=person.full_name,
                        committee=item.name,
                    ),
                    "success",
                )
                return redirect(url_for("admin.committee", committee_id=committee_id), 303)
    return _committee_page(item, seat_form=seat_form)


@bp.route("/committees/<int:committee_id>/seats/<int:user_id>/remove", methods=["GET", "POST"])
@admin_only
def committee_seat_remove(committee_id: int, user_id: int):  # type: ignore[no-untyped-def]
    item = committees.get_committee(db.session(), current_user, committee_id)
    seat = next((m for m in item.memberships if m.user_id == user_id), None)
    back = url_for("admin.committee", committee_id=committee_id)
    if seat is None:
        flash(_("That person no longer sits on this committee."), "success")
        return redirect(back, 303)
    form = ConfirmForm()
    if request.method == "POST" and (again := unconfirmed()):
        return again
    if form.validate_on_submit():
        committees.remove_member(db.session(), current_user, item, user_id)
        db.commit()
        flash(_("Removed from the committee."), "success")
        return redirect(back, 303)
    name = seat.user.full_name
    return confirmation_page(
        Confirmation(
            title=_("Remove %(name)s from %(committee)s?", name=name, committee=item.name),
            consequences=[
                _("%(name)s can no longer open this committee's cases.", name=name),
                _("You can add them again later from the committee's page."),
            ],
            button=_("Remove from the committee"),
            cancel_url=back,
            irreversible=False,
        ),
        form,
    )
