"""The grievance panel's vote form on the committee's case page."""

from __future__ import annotations

from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.i18n import _l
from portal.policies import current_policies
from portal.policies.texts import localize
from portal.services.panels_vote import MAX_OPINION
from portal.web.forms import PortalForm
from portal.web.language import current_language


class PanelVoteForm(PortalForm):
    outcome = SelectField(
        _l("Your vote"), validators=[DataRequired(_l("Choose one of the outcomes listed."))]
    )
    opinion = TextAreaField(
        _l("Your reasons"),
        validators=[
            DataRequired(_l("Give the reasons for your vote.")),
            Length(max=MAX_OPINION, message=_l("Please keep this under %(max)d characters.")),
        ],
        description=_l(
            "If the panel decides as you voted, your reasons become part of its rationale, "
            "which the member reads. If not, they are kept as your dissent."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        language = current_language()
        self.outcome.choices = [
            SelectChoice("", _l("Choose an outcome")),
            *(
                SelectChoice(slug, localize(o.label, language))
                for slug, o in current_policies().outcomes.items()
            ),
        ]


def panel_vote_form() -> PanelVoteForm:
    return PanelVoteForm(prefix="panel")
