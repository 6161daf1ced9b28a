"""Forms of the insight pages: the dashboard's filters, corrective actions."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.i18n import _l
from portal.models.corrective_actions import ActionStatus
from portal.services import actions
from portal.web.forms import PortalForm

ACTION_STATUSES = {
    ActionStatus.OPEN.value: _l("Open"),
    ActionStatus.IN_PROGRESS.value: _l("In progress"),
    ActionStatus.COMPLETED.value: _l("Completed"),
    ActionStatus.CANCELLED.value: _l("Cancelled"),
}


class DashboardForm(PortalForm):
    """The period and the slices shown; a GET form, so it changes nothing and has no token."""

    class Meta:
        csrf = False

    start = DateField(
        _l("From"),
        validators=[Optional()],
        description=_l("The first day of filing counted."),
    )
    end = DateField(_l("To"), validators=[Optional()], description=_l("The last day counted."))
    committee = SelectField(_l("Committee"), validators=[Optional()], validate_choice=True)
    category = SelectField(_l("Kind"), validators=[Optional()], validate_choice=True)
    channel = SelectField(_l("Received"), validators=[Optional()], validate_choice=True)
    priority = SelectField(_l("Priority"), validators=[Optional()], validate_choice=True)


class ActionForm(PortalForm):
    committee = SelectField(
        _l("Committee"), validators=[InputRequired(message=_l("Choose the committee."))]
    )
    title = StringField(
        _l("What will be changed"),
        validators=[
            DataRequired(message=_l("Say what will be changed.")),
            Length(max=actions.MAX_TITLE, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("For example: Send a receipt for every card payment."),
    )
    description = TextAreaField(
        _l("Details (optional)"),
        validators=[
            Length(
                max=actions.MAX_DESCRIPTION,
                message=_l("Please keep this under %(max)d characters."),
            )
        ],
        description=_l(
            "How, and what it should prevent. Do not write about any one grievance here."
        ),
    )
    owner = StringField(
        _l("Owner"),
        validators=[
            DataRequired(message=_l("Name who will see it done.")),
            Length(max=actions.MAX_OWNER, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l("A person or an office, for example: Membership office."),
    )
    due_on = DateField(
        _l("Due by"), validators=[InputRequired(message=_l("Enter the date it is due."))]
    )
    link = SelectField(
        _l("What it addresses"),
        validators=[InputRequired(message=_l("Choose a root cause or a kind of grievance."))],
        description=_l("The register compares grievances of this kind before and after."),
    )


class ActionStatusForm(PortalForm):
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(k, v) for k, v in ACTION_STATUSES.items()],
        validators=[InputRequired(message=_l("Choose a status."))],
    )
    completed_on = DateField(
        _l("Completed on"),
        validators=[Optional()],
        description=_l("Only for a completed action; today if left empty."),
    )
