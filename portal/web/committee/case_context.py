"""What the case page's partials read besides the case, by template variable name.

Each entry builds one variable from the case and the reader's standing by calling one
service, so a partial never queries the database itself. `render_case` adds them all."""

from __future__ import annotations

from collections.abc import Callable

from flask_login import current_user

from portal import db
from portal.models.grievances import Grievance
from portal.policies import current_policies
from portal.services import panels_vote
from portal.services.casefile import Standing

CASE_CONTEXT: dict[str, Callable[[Grievance, Standing], object]] = {
    # committee/case/_panel.html: who sits, who has voted, the vote form, the decision.
    "panel": lambda case, _standing: panels_vote.panel_view(
        db.session(), current_user, case, current_policies()
    ),
}


def case_context(case: Grievance, standing: Standing) -> dict[str, object]:
    return {name: build(case, standing) for name, build in CASE_CONTEXT.items()}
