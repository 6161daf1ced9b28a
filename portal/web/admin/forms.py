from __future__ import annotations

from wtforms import (
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.committees import Seat
from portal.services.accounts import normalise_email
from portal.web.forms import PortalForm, checked_by
from portal.web.language import NAMES as LANGUAGE_NAMES

ROLE_CHOICES = [SelectChoice(r.value, r.label) for r in Role]
SEAT_LABELS = {Seat.CHAIR: _l("Chair"), Seat.REVIEWER: _l("Reviewer")}


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class UserSearchForm(PortalForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Search by name, email or member number"), validators=[Optional()])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", _l("Any role")), *ROLE_CHOICES],
        validators=[Optional()],
    )


class InviteForm(PortalForm):
    full_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Enter the full name.")),
            Length(max=200, message=_l("Keep the name under %(max)d characters.")),
        ],
    )
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter the email address.")),
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
    )
    roles = MultiCheckboxField(_l("Roles"), choices=ROLE_CHOICES, default=[Role.MEMBER.value])
    # Each language named in itself, as in the language switcher.
    language = RadioField(
        _l("Language of the invitation"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validators=[Optional()],  # none: the association's default language
        description=_l("The person's mail from the portal comes in it; they can change it."),
    )


class RolesForm(PortalForm):
    roles = MultiCheckboxField(_l("Roles"), choices=ROLE_CHOICES)


class CommitteeForm(PortalForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Enter the committee's name.")),
            Length(max=120, message=_l("Keep the name under %(max)d characters.")),
        ],
    )
    description = TextAreaField(
        _l("What this committee handles"),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Please keep this under %(max)d characters.")),
        ],
    )
    slug = StringField(
        _l("Short name used in the policy files (optional)"),
        validators=[
            Optional(),
            Length(max=60, message=_l("Keep the short name under %(max)d characters.")),
        ],
        description=_l(
            "Categories in policies/categories.toml name their committee by this, "
            "for example “ethics”. Left empty, it is made from the name."
        ),
    )


class SeatForm(PortalForm):
    email = EmailField(
        _l("Email address of the person"),
        validators=[DataRequired(_l("Enter an email address."))],
    )
    seat = SelectField(_l("Seat"), choices=[SelectChoice(s.value, SEAT_LABELS[s]) for s in Seat])


class PanelAppointForm(PortalForm):
    email = EmailField(
        _l("Email address of the person"),
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=254, message=_l("An email address has at most %(max)d characters.")),
        ],
        description=_l("They need an active account in the portal first."),
    )
