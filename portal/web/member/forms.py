from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.i18n import _l
from portal.policies.types import PolicySet
from portal.services.intake import MAX_SUBJECT, MAX_TEXT, STAFF_CHANNELS
from portal.web.confirm import ConfirmForm
from portal.web.forms import PortalForm

STALE_FORM = _l("This form is out of date. Please start your grievance again.")


class FilingForm(PortalForm):
    category = RadioField(
        _l("What is your grievance about?"),
        validators=[DataRequired(_l("Choose the kind of grievance."))],
    )
    subject = StringField(
        _l("Short title"),
        validators=[
            DataRequired(_l("Give your grievance a short title.")),
            Length(max=MAX_SUBJECT, message=_l("Keep the title under %(max)d characters.")),
        ],
        description=_l("A few words, for example “Rude behaviour at the March seminar”."),
    )
    narrative = TextAreaField(
        _l("What happened"),
        validators=[
            DataRequired(_l("Tell us what happened.")),
            Length(max=MAX_TEXT, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("In your own words: what happened, where, and who was there."),
    )
    people_involved = TextAreaField(
        _l("People involved (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_TEXT, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("Names and roles of the people involved, including witnesses."),
    )
    party_emails = StringField(
        _l("Email addresses of members involved (optional)"),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l(
            "Separate several with commas. We use them only to keep anyone involved off your case."
        ),
    )
    party_member_numbers = StringField(
        _l("Member numbers of members involved (optional)"),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("Separate several with commas."),
    )
    occurred_on = DateField(
        _l("When it happened (optional)"),
        validators=[Optional()],
        description=_l("The date, or the first date if it happened more than once."),
    )
    desired_outcome = TextAreaField(
        _l("What outcome would you like? (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_TEXT, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("For example an apology, a refund, a change of practice."),
    )
    hide_identity = BooleanField(
        _l("Keep my identity hidden from the committee"),
        description=_l(
            "Reviewers will see “Member (identity withheld)”. "
            "Only some kinds of grievance allow this."
        ),
    )
    submission_token = HiddenField(validators=[Length(max=64, message=STALE_FORM)])
    evidence = MultipleFileField(_l("Evidence files (optional)"))

    def set_categories(self, policies: PolicySet) -> None:
        self.category.choices = [
            SelectChoice(c.slug, c.label) for c in policies.categories.values()
        ]


class StaffFilingForm(FilingForm):
    channel = SelectField(
        _l("How did the grievance reach us?"),
        choices=[SelectChoice(k, v) for k, v in STAFF_CHANNELS.items()],
        validators=[DataRequired(_l("Choose how the grievance reached us."))],
    )
    member_id = HiddenField(validators=[DataRequired(STALE_FORM)])


class MessageForm(PortalForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(_l("Write your message before sending it.")),
            Length(max=10000, message=_l("Please keep a message under %(max)d characters.")),
        ],
    )
    evidence = MultipleFileField(_l("Attach files (optional)"), id="message-evidence")


class EvidenceForm(PortalForm):
    evidence = MultipleFileField(
        _l("Files to add"),
        validators=[DataRequired(_l("Choose at least one file to add."))],
        id="evidence-files",
    )


class WithdrawForm(ConfirmForm):
    reason = TextAreaField(
        _l("Why are you withdrawing?"),
        validators=[
            DataRequired(_l("Tell us briefly why you are withdrawing.")),
            Length(max=2000, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("This helps us improve. The committee will see it."),
    )


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").replace(";", ",").split(",") if v.strip()]
