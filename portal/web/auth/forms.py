from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from portal.security.passwords import MAX_LENGTH, MIN_LENGTH

PASSWORD_HINT = f"At least {MIN_LENGTH} characters. A short sentence is easy to remember."


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])


def _new_password(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Choose a password."),
            Length(max=MAX_LENGTH, message=f"Use at most {MAX_LENGTH} characters."),
        ],
        description=PASSWORD_HINT,
    )


def _confirm(other: str) -> PasswordField:
    return PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Type the password a second time."),
            EqualTo(other, "The two passwords are not the same."),
        ],
    )


class RegisterForm(FlaskForm):
    full_name = StringField(
        "Full name",
        validators=[DataRequired("Enter your full name."), Length(max=200)],
    )
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=254)],
    )
    member_number = StringField(
        "Member number",
        validators=[Optional(), Length(max=40)],
        description="On your membership card or renewal letter. Leave empty if you don't know it.",
    )
    password = _new_password("Password")
    confirm = _confirm("password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new_password = _new_password("New password")
    confirm = _confirm("new_password")


class SetPasswordForm(FlaskForm):
    password = _new_password("Password")
    confirm = _confirm("password")


class SignOutForm(FlaskForm):
    """An empty form: signing out is a POST with a CSRF token."""
