"""The ladder on the committee's case page: the chair moves the decision date."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.policies import current_policies
from portal.services import extensions
from portal.web.access import roles
from portal.web.committee import bp
from portal.web.committee.case_forms import CASE_FORMS
from portal.web.committee.casepage import change_case
from portal.web.committee.cases import CASEWORK
from portal.web.filters import localdatetime


@bp.post("/cases/<reference>/extend")
@roles(*CASEWORK)
def extend(reference: str):  # type: ignore[no-untyped-def]
    form = CASE_FORMS["extend"]()

    def change(case, standing):  # type: ignore[no-untyped-def]
        extensions.extend(
            db.session(),
            current_user,
            case,
            form.reason.data or "",
            current_policies(),
            days=form.days.data,
        )
        return _("The decision date is now %(date)s.", date=localdatetime(case.resolution_due_at))

    return change_case(reference, "extend", form, change, "escalation")
