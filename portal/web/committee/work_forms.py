"""The forms of working a case: triage, notes, messages to the member, decisions.

Choices come from the policy set, worded in the reader's language. The assignee's choices
depend on the case (who is not conflicted), so the template lists them from
`work.casework_view` and the service checks the choice again.
"""

from __future__ import annotations

from wtforms import HiddenField, SelectField, SelectMultipleField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional

from portal.i18n import _l
from portal.policies import current_policies
from portal.policies.texts import localize
from portal.services import decisions, reassign, replies
from portal.services.casework import MAX_MESSAGE, MAX_NOTE
from portal.web.forms import PortalForm
from portal.web.language import current_language

TOO_LONG = _l("Please keep this under %(max)d characters.")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _words(value: object) -> str:
    return str(localize(value, current_language()))


class CategoryForm(PortalForm):
    category = SelectField(
        _l("Kind of grievance"),
        validators=[DataRequired(_l("Choose the kind of grievance."))],
        description=_l(
            "A kind handled by another committee moves the case there, unassigned; "
            "you will no longer see it unless you sit on that committee too."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [
            (c.slug, _words(c.label)) for c in current_policies().categories.values()
        ]


class PriorityForm(PortalForm):
    priority = SelectField(
        _l("Priority"), validators=[DataRequired(_l("Choose one of the priorities shown."))]
    )
    reason = TextAreaField(
        _l("Why the priority changes"),
        validators=[
            DataRequired(_l("Say why the priority changes; the member reads it.")),
            Length(max=reassign.MAX_REASON, message=TOO_LONG),
        ],
        description=_l(
            "The member reads this on their case page. Both promised dates are worked out "
            "again from the day the grievance was received."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.priority.choices = [
            (p.slug, _words(p.label)) for p in current_policies().priorities_in_order
        ]


class AssignForm(PortalForm):
    # Listed from the case in the template; checked by the service.
    assignee = SelectField(
        _l("Assign to"),
        validate_choice=False,
        validators=[DataRequired(_l("Choose who will handle the grievance."))],
    )


class TakeForm(PortalForm):
    """ "Assign to me": nothing to fill in."""


class NoteForm(PortalForm):
    body = TextAreaField(
        _l("New internal note"),
        validators=[
            DataRequired(_l("Write the note before saving it.")),
            Length(max=MAX_NOTE, message=TOO_LONG),
        ],
        description=_l("Only the committee reads notes; the member never sees them."),
    )


class StartForm(PortalForm):
    """Which canned response to start from: a GET that fills in the message, changing nothing."""

    class Meta:
        csrf = False

    response = SelectField(
        _l("Start from"), validators=[DataRequired(_l("Choose one of the responses shown."))]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.response.choices = [
            (r.slug, _words(r.title)) for r in replies.offered(current_policies())
        ]


class ReplyForm(PortalForm):
    body = TextAreaField(
        _l("Message to the member"),
        validators=[
            DataRequired(_l("Write the message before sending it.")),
            Length(max=MAX_MESSAGE, message=TOO_LONG),
        ],
        description=_l("The member reads it on their case page, signed “The committee”."),
    )
    response = HiddenField(validators=[Optional(), Length(max=60, message=TOO_LONG)])


class DecisionForm(PortalForm):
    outcome = SelectField(
        _l("Outcome"), validators=[DataRequired(_l("Choose one of the outcomes shown."))]
    )
    rationale = TextAreaField(
        _l("Reasons for the decision"),
        validators=[
            DataRequired(_l("Give the reasons for the decision; the member reads them.")),
            Length(max=decisions.MAX_RATIONALE, message=TOO_LONG),
        ],
        description=_l("The member reads them with the decision."),
    )
    remedy = TextAreaField(
        _l("Remedy (optional)"),
        validators=[Optional(), Length(max=decisions.MAX_REMEDY, message=TOO_LONG)],
        description=_l("What the association will do to put things right, if anything."),
    )
    clauses = MultiCheckboxField(
        _l("Clauses of the procedure relied on"),
        validators=[DataRequired(_l("Tick at least one clause of the procedure relied on."))],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        policies = current_policies()
        self.outcome.choices = [("", _l("Choose an outcome"))] + [
            (o.slug, _words(o.label)) for o in policies.outcomes.values()
        ]
        self.clauses.choices = [
            (c.slug, f"{c.number} {_words(c.title)}") for c in policies.clauses.values()
        ]
