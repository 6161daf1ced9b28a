"""The pages behind the links the portal mails: set a password (an invitation or a reset),
confirm an address; and the forms that ask for them (forgot password, send it again).

Opening a link changes nothing (a mail scanner that fetches it spends nothing); its page's
button, a POST, does. The reset form answers alike, and as slowly, whether or not an account
has the address, so it never tells a stranger who is a member.
"""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.domain.errors import InvalidInput
from portal.extensions import limiter
from portal.services import account_links, accounts
from portal.web import sessions
from portal.web.access import public, signed_in
from portal.web.auth import bp
from portal.web.auth.forms import ForgotPasswordForm, SetPasswordForm
from portal.web.forms import PortalForm, attach_error, safe_next
from portal.web.home import start_page
from portal.web.language import current_language

# Every answer to the reset form takes at least this long: the work for an address with an
# account (a token, a mail in the outbox, an audit entry) hides inside it.
RESET_ANSWER_SECONDS = 0.4


def _reset_key() -> str:
    return "reset:" + (request.form.get("email") or "").strip().casefold()


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=_reset_key)
def forgot_password():  # type: ignore[no-untyped-def]
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.monotonic()
        accounts.request_password_reset(db.session(), form.email.data or "")
        db.commit()
        time.sleep(max(0.0, RESET_ANSWER_SECONDS - (time.monotonic() - started)))
        return redirect(url_for("auth.reset_sent"), 303)
    status = 400 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.get("/forgot-password/sent")
@public
def reset_sent():  # type: ignore[no-untyped-def]
    return render_template("auth/reset_sent.html")


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def set_password(token: str):  # type: ignore[no-untyped-def]
    user = account_links.password_link_user(db.session(), token)
    invitation = account_links.invited(db.session(), token)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = account_links.set_password(db.session(), token, form.password.data or "")
        except InvalidInput as exc:
            db.rollback()
            attach_error(form, exc)
        else:
            sessions.sign_in(user)
            db.commit()
            flash(_("Your password is set and you are signed in."), "success")
            return redirect(url_for(start_page(user.roles)), 303)
    return render_template("auth/set_password.html", form=form, user=user, invitation=invitation), (
        400 if form.errors else 200
    )


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def confirm_address(token: str):  # type: ignore[no-untyped-def]
    form = PortalForm()
    if request.method == "POST" and form.validate_on_submit():
        user = account_links.confirm_address(db.session(), token)
        db.commit()
        flash(_("Thank you: your email address is confirmed."), "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for(start_page(user.roles)), 303)
        return redirect(url_for("auth.sign_in"), 303)
    # Shown only for a live link (else the "expired or used" page).
    user = account_links.confirmation_user(db.session(), token)
    status = 400 if form.errors else 200
    return render_template("auth/confirm_address.html", form=form, user=user), status


@bp.post("/account/confirmation")
@signed_in
@limiter.limit("5 per hour")
def send_confirmation_again():  # type: ignore[no-untyped-def]
    form = PortalForm()
    target = safe_next(request.form.get("next")) or url_for("auth.account")
    if form.validate_on_submit():
        if current_user.email_confirmed_at is None:
            account_links.send_confirmation(db.session(), current_user, current_language())
            db.commit()
            flash(
                _(
                    "We have sent a new link to %(email)s. It works once, for 7 days.",
                    email=current_user.email,
                ),
                "success",
            )
        else:
            flash(_("Your email address is already confirmed."), "success")
    return redirect(target, 303)
