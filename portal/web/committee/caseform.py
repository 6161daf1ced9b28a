"""The base of every form on the committee's case page (see services/versions.py)."""

from __future__ import annotations

from wtforms import HiddenField

from portal.web.forms import PortalForm


class CaseForm(PortalForm):
    """A form of the case page: the case's version and the moment the page was shown.

    `render_case` fills both; templates render them beside the CSRF token
    (`{{ f.csrf_token }}{{ f.version }}{{ f.seen }}`), and `change_case` refuses the change
    with a 409 page when the case has changed since (nothing is overwritten)."""

    version = HiddenField()
    seen = HiddenField()
