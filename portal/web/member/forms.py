from __future__ import annotations

from flask_wtf import FlaskForm
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

from portal.policies.types import PolicySet
from portal.services.intake import MAX_SUBJECT, MAX_TEXT, STAFF_CHANNELS


class FilingForm(FlaskForm):
    category = RadioField(
        "What is your grievance about?", validators=[DataRequired("Choose the kind of grievance.")]
    )
    subject = StringField(
        "Short title",
        validators=[DataRequired("Give your grievance a short title."), Length(max=MAX_SUBJECT)],
        description="A few words, for example “Rude behaviour at the March seminar”.",
    )
    narrative = TextAreaField(
        "What happened",
        validators=[DataRequired("Tell us what happened."), Length(max=MAX_TEXT)],
        description="In your own words: what happened, where, and who was there.",
    )
    people_involved = TextAreaField(
        "People involved (optional)",
        validators=[Optional(), Length(max=MAX_TEXT)],
        description="Names and roles of the people involved, including witnesses.",
    )
    party_emails = StringField(
        "Email addresses of members involved (optional)",
        validators=[Optional(), Length(max=2000)],
        description="Separate several with commas. We use them only to keep anyone involved off your case.",
    )
    party_member_numbers = StringField(
        "Member numbers of members involved (optional)",
        validators=[Optional(), Length(max=2000)],
        description="Separate several with commas.",
    )
    occurred_on = DateField(
        "When it happened (optional)",
        validators=[Optional()],
        description="The date, or the first date if it happened more than once.",
    )
    desired_outcome = TextAreaField(
        "What outcome would you like? (optional)",
        validators=[Optional(), Length(max=MAX_TEXT)],
        description="For example an apology, a refund, a change of practice.",
    )
    hide_identity = BooleanField(
        "Keep my identity hidden from the committee",
        description="Reviewers will see “Member (identity withheld)”. Only some kinds of grievance allow this.",
    )
    submission_token = HiddenField(validators=[Length(max=64)])
    evidence = MultipleFileField("Evidence files (optional)")

    def set_categories(self, policies: PolicySet) -> None:
        self.category.choices = [
            SelectChoice(c.slug, c.label) for c in policies.categories.values()
        ]


class StaffFilingForm(FilingForm):
    channel = SelectField(
        "How did the grievance reach us?",
        choices=[SelectChoice(k, v) for k, v in STAFF_CHANNELS.items()],
        validators=[DataRequired()],
    )
    member_id = HiddenField(validators=[DataRequired()])


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Your message",
        validators=[DataRequired("Write your message before sending it."), Length(max=10000)],
    )
    evidence = MultipleFileField("Attach files (optional)")


class EvidenceForm(FlaskForm):
    evidence = MultipleFileField(
        "Files to add", validators=[DataRequired("Choose at least one file to add.")]
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Why are you withdrawing? ",
        validators=[DataRequired("Tell us briefly why you are withdrawing."), Length(max=2000)],
        description="This helps us improve. The committee will see it.",
    )
    confirm = BooleanField(
        "I understand the committee will stop working on this grievance",
        validators=[DataRequired("Tick the box to confirm.")],
    )


class RevealForm(FlaskForm):
    """A POST button with its CSRF token."""


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").replace(";", ",").split(",") if v.strip()]
