"""The chair's extension form on the committee's case page."""

from __future__ import annotations

from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.i18n import _l
from portal.services.extensions import MAX_REASON
from portal.web.committee.caseform import CaseForm


class ExtensionForm(CaseForm):
    days = IntegerField(
        _l("Working days to add"),
        validators=[
            InputRequired(_l("Say how many working days to add.")),
            NumberRange(min=1, max=250, message=_l("Add between 1 and 250 working days.")),
        ],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give the reason the member will read.")),
            Length(max=MAX_REASON, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("The member reads this on their case page, word for word."),
    )
