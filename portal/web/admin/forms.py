from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.roles import Role
from portal.models.committees import Seat

ROLE_CHOICES = [SelectChoice(r.value, r.label) for r in Role]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Search by name, email or member number", validators=[Optional()])
    role = SelectField(
        "Role", choices=[SelectChoice("", "Any role"), *ROLE_CHOICES], validators=[Optional()]
    )


class InviteForm(FlaskForm):
    full_name = StringField(
        "Full name", validators=[DataRequired("Enter the full name."), Length(max=200)]
    )
    email = EmailField(
        "Email address", validators=[DataRequired("Enter the email address."), Length(max=254)]
    )
    member_number = StringField("Member number", validators=[Optional(), Length(max=40)])
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES, default=[Role.MEMBER.value])


class RolesForm(FlaskForm):
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES)


class ActiveForm(FlaskForm):
    active = HiddenField()


class CommitteeForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Enter the committee's name."), Length(max=120)]
    )
    description = TextAreaField(
        "What this committee handles", validators=[Optional(), Length(max=2000)]
    )
    slug = StringField(
        "Short name used in the policy files (optional)",
        validators=[Optional(), Length(max=60)],
        description="Categories in policies/categories.toml name their committee by this, "
        "for example “ethics”. Left empty, it is made from the name.",
    )


class SeatForm(FlaskForm):
    email = EmailField(
        "Email address of the person", validators=[DataRequired("Enter an email address.")]
    )
    seat = SelectField("Seat", choices=[SelectChoice(s.value, s.value.capitalize()) for s in Seat])


class RemoveSeatForm(FlaskForm):
    """A POST button with its CSRF token."""
