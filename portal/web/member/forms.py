from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.i18n import _l
from portal.policies.types import PolicySet
from portal.services.cases import MAX_MESSAGE, MAX_REASON
from portal.services.escalation import MAX_APPEAL
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


def _long_text(label: str, description: str | None = None) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=MAX_TEXT, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=description,
    )


class StaffFilingForm(FilingForm):
    """The same grievance, worded for the staff member recording what they were told."""

    channel = SelectField(
        _l("How did the grievance reach us?"),
        choices=[SelectChoice(k, v) for k, v in STAFF_CHANNELS.items()],
        validators=[DataRequired(_l("Choose how the grievance reached us."))],
    )
    received_at = DateTimeLocalField(
        _l("When did we receive it?"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[DataRequired(_l("Enter the date and time the grievance reached us."))],
    )
    category = RadioField(
        _l("What is the grievance about?"),
        validators=[DataRequired(_l("Choose the kind of grievance."))],
    )
    subject = StringField(
        _l("Short title"),
        validators=[
            DataRequired(_l("Give the grievance a short title.")),
            Length(max=MAX_SUBJECT, message=_l("Keep the title under %(max)d characters.")),
        ],
        description=_l("A few words, for example “Ballot papers never arrived”."),
    )
    narrative = TextAreaField(
        _l("What did the member tell you?"),
        validators=[
            DataRequired(_l("Write down what the member told you.")),
            Length(max=MAX_TEXT, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l(
            "In their words as far as you can: what happened, where, and who was there. "
            "The member can read this."
        ),
    )
    people_involved = _long_text(
        _l("People the member named (optional)"),
        _l("Names and roles, including witnesses."),
    )
    occurred_on = DateField(
        _l("When it happened, as the member told you (optional)"),
        validators=[Optional()],
        description=_l("The date, or the first date if it happened more than once."),
    )
    desired_outcome = _long_text(
        _l("What outcome does the member want? (optional)"),
        _l("For example an apology, a refund, a change of practice."),
    )
    hide_identity = BooleanField(
        _l("The member asks to keep their identity hidden from the committee"),
        description=_l(
            "Reviewers will see “Member (identity withheld)”. "
            "Only some kinds of grievance allow this."
        ),
    )
    internal_note = _long_text(
        _l("Internal note (optional)"),
        _l(
            "Only the committee sees this; the member never does. For example how the call "
            "went, or what you said you would check."
        ),
    )
    evidence = MultipleFileField(_l("Documents the member gave you (optional)"))
    member_id = HiddenField(validators=[DataRequired(STALE_FORM)])
    # Only when recording for someone without an account (member_id "new").
    claimant_name = StringField(
        _l("Their full name"),
        validators=[
            Length(max=200, message=_l("Keep the name under %(max)d characters.")),
        ],
    )
    claimant_email = EmailField(
        _l("Their email address"),
        validators=[
            Length(max=254, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l(
            "With it and the claim code you give them, they can later see this grievance "
            "by creating an account."
        ),
    )
    claimant_phone = TelField(
        _l("Their phone number"),
        validators=[
            Optional(),
            Length(max=40, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("Give an email address, a phone number or both."),
    )

    # Checked here as well as by the service, so every missing detail shows in one round.
    def validate_claimant_name(self, field: StringField) -> None:
        if self.member_id.data == "new" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the person's full name."))

    def validate_claimant_email(self, field: EmailField) -> None:
        if self.member_id.data != "new" or field.data or (self.claimant_phone.data or "").strip():
            return
        raise ValidationError(
            _l("Give an email address or a phone number, so the office can reach them.")
        )


class MessageForm(PortalForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(_l("Write your message before sending it.")),
            Length(max=MAX_MESSAGE, message=_l("Please keep a message under %(max)d characters.")),
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
            Length(max=MAX_REASON, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("This helps us improve. The committee will see it."),
    )


class AppealForm(ConfirmForm):
    reason = TextAreaField(
        _l("Why do you disagree with the decision?"),
        validators=[
            DataRequired(_l("Tell us why you disagree with the decision.")),
            Length(max=MAX_APPEAL, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l(
            "Say what the decision got wrong or left out. The people hearing your appeal read it."
        ),
    )


class ClaimForm(PortalForm):
    code = StringField(
        _l("Claim code"),
        validators=[
            DataRequired(_l("Enter the claim code the office gave you.")),
            Length(max=40, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l(
            "If staff recorded a grievance for you before you had an account, enter the code "
            "they gave you. It works with the email address of your account."
        ),
    )


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").replace(";", ",").split(",") if v.strip()]
