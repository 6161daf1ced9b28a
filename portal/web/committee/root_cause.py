"""Tagging a decided case with its root cause and five whys, from the case page."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal import db
from portal.i18n import _l
from portal.models.grievances import Grievance
from portal.policies import current_policies
from portal.services import root_causes
from portal.services.casefile import Standing
from portal.web.access import signed_in
from portal.web.committee import bp
from portal.web.committee.caseform import CaseForm
from portal.web.committee.casepage import change_case
from portal.web.language import current_language

TOO_LONG = _l("Please keep this under %(max)d characters.")


def _why(number: int) -> StringField:
    return StringField(
        _l("Why %(number)d", number=number),
        validators=[Length(max=root_causes.MAX_WHY, message=TOO_LONG)],
    )


class RootCauseForm(CaseForm):
    root_cause = SelectField(
        _l("Root cause"), validators=[DataRequired(_l("Choose one of the root causes listed."))]
    )
    why_1 = _why(1)
    why_2 = _why(2)
    why_3 = _why(3)
    why_4 = _why(4)
    why_5 = _why(5)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        lang = current_language()
        self.root_cause.choices = [SelectChoice("", _l("Choose a root cause"))] + [
            SelectChoice(slug, rc.label.in_language(lang))
            for slug, rc in current_policies().root_causes.items()
        ]

    @property
    def whys(self) -> list[StringField]:
        return [self.why_1, self.why_2, self.why_3, self.why_4, self.why_5]

    def filled_from(self, case: Grievance) -> RootCauseForm:
        """Shown with what the case holds, unless it comes back refused with what was typed."""
        if not self.is_submitted() and not self.errors:
            self.root_cause.data = case.root_cause or ""
            for field, why in zip(self.whys, root_causes.whys_of(case), strict=False):
                field.data = why
        return self


@bp.app_template_global()
def may_tag_root_cause(case: Grievance, standing: Standing) -> bool:
    return root_causes.may_tag(standing, case)


@bp.post("/cases/<reference>/root-cause")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def tag_root_cause(reference: str) -> Response | tuple[str, int]:
    form = RootCauseForm(prefix="rootcause")

    def change(case: Grievance, standing: Standing) -> str:
        root_causes.tag(
            db.session(),
            current_user,
            case,
            standing,
            form.root_cause.data or "",
            [f.data or "" for f in form.whys],
            current_policies(),
        )
        return _("The root cause was recorded.")

    return change_case(reference, "root_cause", form, change, "root-cause")
