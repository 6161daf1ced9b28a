from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.domain.errors import InvalidInput
from portal.extensions import limiter
from portal.services import accounts
from portal.web import sessions
from portal.web.access import public, signed_in
from portal.web.auth import bp
from portal.web.auth.forms import ChangePasswordForm, RegisterForm, SetPasswordForm, SignInForm
from portal.web.forms import attach_error, safe_next
from portal.web.home import start_page


def _registration_mode() -> str:
    return current_app.extensions["portal.settings"].registration


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def register():  # type: ignore[no-untyped-def]
    if _registration_mode() != "open":
        return render_template("auth/invite_only.html")
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            # None when the address or member number already has an account.
            accounts.register(
                db.session(),
                full_name=form.full_name.data or "",
                email=form.email.data or "",
                member_number=form.member_number.data,
                password=form.password.data or "",
                mode=_registration_mode(),
                claim_code=form.claim_code.data or "",
            )
            db.commit()
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        except IntegrityError:
            # The same address registered at the same moment: the same answer as always.
            db.rollback()
        if not form.errors and not form.form_errors:
            # A new account and an address that already has one get the same page, and
            # nobody is signed in, so the form never tells who is a member.
            return redirect(url_for("auth.registered"), 303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("auth/register.html", form=form), status


@bp.get("/register/done")
@public
def registered():  # type: ignore[no-untyped-def]
    return render_template("auth/registered.html")


def _email_key() -> str:
    """Failed guesses at one account count together, whatever address they come from."""
    return "sign-in:" + (request.form.get("email") or "").strip().casefold()


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("30 per hour", methods=["POST"], key_func=_email_key)
def sign_in():  # type: ignore[no-untyped-def]
    form = SignInForm()
    target = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        user = accounts.authenticate(db.session(), form.email.data or "", form.password.data or "")
        if user is None:
            db.rollback()
            form.form_errors.append(_("That email address and password do not match an account."))
        else:
            sessions.sign_in(user)
            db.commit()
            return redirect(target or url_for(start_page(user.roles)), 303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "auth/sign_in.html", form=form, registration=_registration_mode()
    ), status


@bp.post("/sign-out")
@public
def sign_out():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        sessions.sign_out()
        db.commit()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.sign_in"), 303)


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session(),
                current_user,
                form.current_password.data or "",
                form.new_password.data or "",
                sessions.current_token(),
            )
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            db.commit()
            flash(_("Your password has been changed. Other browsers were signed out."), "success")
            return redirect(url_for("auth.account"), 303)
    return render_template("auth/account.html", form=form), 400 if form.errors else 200


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def set_password(token: str):  # type: ignore[no-untyped-def]
    user = accounts.token_user(db.session(), token)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.set_password_with_token(db.session(), token, form.password.data or "")
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            sessions.sign_in(user)
            db.commit()
            flash(_("Your password is set and you are signed in."), "success")
            return redirect(url_for(start_page(user.roles)), 303)
    return render_template("auth/set_password.html", form=form, user=user), (
        400 if form.errors else 200
    )
