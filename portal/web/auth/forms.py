from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from portal.domain.errors import InvalidInput
from portal.i18n import _l
from portal.security.passwords import MAX_LENGTH, MIN_LENGTH, password_problem
from portal.services.accounts import normalise_email

PASSWORD_HINT = _l(
    "At least %(min)d characters. A short sentence is easy to remember.", min=MIN_LENGTH
)


class SignInForm(FlaskForm):
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


class RegisterForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter your full name.")), Length(max=200)],
    )
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254)],
    )
    member_number = StringField(
        _l("Member number"),
        validators=[Optional(), Length(max=40)],
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

    # The service checks both again; checking them here reports them in the same
    # round as every other mistake on the form.
    def validate_email(self, field: EmailField) -> None:
        try:
            normalise_email(field.data or "")
        except InvalidInput as exc:
            raise ValidationError(str(exc)) from None

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "")
        if problem and not field.errors:
            raise ValidationError(str(problem))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password = _new_password(_l("New password"))
    confirm = _confirm("new_password")


class SetPasswordForm(FlaskForm):
    password = _new_password(_l("Password"))
    confirm = _confirm("password")


class SignOutForm(FlaskForm):
    """An empty form: signing out is a POST with a CSRF token."""
