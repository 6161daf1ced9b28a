"""The forms of the case page's links section: merge a duplicate, link and unlink cases.

They register themselves in CASE_FORMS (imported with the routes, portal/web/committee/links.py)."""

from __future__ import annotations

from wtforms import HiddenField, StringField
from wtforms.validators import Length

from portal.i18n import _l
from portal.web.committee.case_forms import CASE_FORMS
from portal.web.committee.caseform import CaseForm

REFERENCE_HINT = _l("For example GRV-2026-000123.")


class MergeForm(CaseForm):
    """Merge this case into another: on the case page the reference is typed; the
    confirmation page carries it (and the version seen) as hidden fields."""

    into = StringField(
        _l("Reference of the case to keep"),
        validators=[Length(max=40, message=_l("A reference is at most 40 characters."))],
        description=REFERENCE_HINT,
    )


class LinkForm(CaseForm):
    reference = StringField(
        _l("Reference of the related case"),
        validators=[Length(max=40, message=_l("A reference is at most 40 characters."))],
        description=REFERENCE_HINT,
    )


class UnlinkForm(CaseForm):
    reference = HiddenField()


CASE_FORMS.update(
    merge=lambda: MergeForm(prefix="merge"),
    link=lambda: LinkForm(prefix="link"),
    unlink=lambda: UnlinkForm(prefix="unlink"),
)
