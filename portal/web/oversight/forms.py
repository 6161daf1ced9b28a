from __future__ import annotations

from wtforms import EmailField, StringField
from wtforms.validators import Length, Optional

from portal.i18n import _l
from portal.web.forms import PortalForm


class TrailForm(PortalForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    reference = StringField(
        _l("Case reference"),
        validators=[
            Optional(),
            Length(max=40, message=_l("A case reference has at most %(max)d characters.")),
        ],
        description=_l("For example GRV-2026-000123."),
    )
    email = EmailField(
        _l("Email address of a person"),
        validators=[
            Optional(),
            Length(max=254, message=_l("An email address has at most %(max)d characters.")),
        ],
        description=_l("What they did, and what was done to their account."),
    )
