"""The grievance panel's vote on the committee's case page."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.models.grievances import Grievance
from portal.policies import current_policies
from portal.policies.texts import localize
from portal.services import panels_vote
from portal.services.casefile import Standing
from portal.web.access import signed_in
from portal.web.committee import bp
from portal.web.committee.casepage import change_case
from portal.web.committee.panel_forms import panel_vote_form
from portal.web.language import current_language


@bp.app_template_global()
def panel_view(case: Grievance, standing: Standing) -> panels_vote.PanelView:
    """What committee/case/_panel.html shows; built once per page, a fixed number of queries.
    (`standing` is the page's; the service checks the reader's access again itself.)"""
    cached: dict[object, panels_vote.PanelView] = g.setdefault("panel_views", {})
    if case.id not in cached:
        cached[case.id] = panels_vote.panel_view(
            db.session(), current_user, case, current_policies()
        )
    return cached[case.id]


@bp.post("/cases/<reference>/panel/vote")
@signed_in  # anyone else gets 404 from the service, as for a case that does not exist
def panel_vote(reference: str):  # type: ignore[no-untyped-def]
    form = panel_vote_form()

    def change(found: Grievance, _standing: Standing) -> str:
        policies = current_policies()
        result = panels_vote.cast_vote(
            db.session(),
            current_user,
            found,
            form.outcome.data or "",
            form.opinion.data or "",
            policies,
        )
        if result.decision is None:
            return _("Your vote is recorded. You can change it until the panel decides.")
        label = localize(policies.outcomes[result.decision.outcome].label, current_language())
        return _(
            "Your vote completed the quorum: the panel has decided “%(outcome)s”.", outcome=label
        )

    return change_case(reference, "panel_vote", form, change, "panel")
