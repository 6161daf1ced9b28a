from __future__ import annotations

from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from portal.i18n import _l
from portal.security.passwords import MAX_LENGTH, MIN_LENGTH
from portal.services.accounts import check_password, normalise_email
from portal.services.notifications import MAIL_ALL, MAIL_IMPORTANT
from portal.web.forms import PortalForm, checked_by

PASSWORD_HINT = _l(
    "At least %(min)d characters. A short sentence is easy to remember.", min=MIN_LENGTH
)


class SignInForm(PortalForm):
    email = EmailField(
        _l("Email address"), validators=[DataRequired(_l("Enter your email address."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


def _new_password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(max=MAX_LENGTH, message=_l("Use at most %(max)d characters.", max=MAX_LENGTH)),
            # The password rules are checked with every other field, not after them.
            checked_by(check_password),
        ],
        description=PASSWORD_HINT,
    )


def _confirm(other: str) -> PasswordField:
    return PasswordField(
        _l("Type the password again"),
        validators=[
            DataRequired(_l("Type the password a second time.")),
            EqualTo(other, _l("The two passwords are not the same.")),
        ],
    )


class RegisterForm(PortalForm):
    full_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Enter your full name.")),
            Length(max=200, message=_l("Keep the name under %(max)d characters.")),
        ],
    )
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("An email address has at most %(max)d characters.")),
            checked_by(normalise_email),
        ],
    )
    member_number = StringField(
        _l("Member number"),
        validators=[
            Optional(),
            Length(max=40, message=_l("A member number has at most %(max)d characters.")),
        ],
        description=_l(
            "On your membership card or renewal letter. Leave empty if you don't know it."
        ),
    )
    password = _new_password(_l("Password"))
    confirm = _confirm("password")
    claim_code = StringField(
        _l("Claim code (optional)"),
        validators=[Optional(), Length(max=40, message=_l("Use at most %(max)d characters."))],
        description=_l(
            "If the association office recorded a grievance for you, they gave you a code. "
            "Enter it to see that grievance in your account."
        ),
    )


class ChangePasswordForm(PortalForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password = _new_password(_l("New password"))
    confirm = _confirm("new_password")


class SetPasswordForm(PortalForm):
    password = _new_password(_l("Password"))
    confirm = _confirm("password")


class ForgotPasswordForm(PortalForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("An email address has at most %(max)d characters.")),
        ],
        description=_l("The address you sign in with."),
    )


class SignOutForm(PortalForm):
    """An empty form: signing out is a POST with a CSRF token."""


class MailPreferenceForm(PortalForm):
    mail = RadioField(
        _l("What should we also send you by email?"),
        choices=[
            SelectChoice(MAIL_ALL, _l("Everything that happens on my grievances")),
            SelectChoice(MAIL_IMPORTANT, _l("Only decisions and requests for information")),
        ],
        validators=[DataRequired(_l("Choose one of the options shown."))],
        description=_l("Everything is always listed under “Notifications” in the portal."),
    )
