"""Every form on the committee's case page, by name.

Each entry is a zero-argument factory; give each form its own `prefix` so field ids
stay unique on the page. A POST view builds its form with the same factory, so a
refused form re-renders in place with its errors.

Every form here subclasses `CaseForm`: it carries the version of the case the page showed
and when it was shown (filled in by `render_case`; templates render them with
`{{ form.hidden_tag() }}`, or `{{ form.version }}{{ form.seen }}` beside the CSRF token), so
`change_case` refuses a change made on an out-of-date page (services/versions.py)."""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import HiddenField

from portal.web.forms import PortalForm


class CaseForm(PortalForm):
    """A form of the case page: the case's version and the moment the page was shown."""

    version = HiddenField()
    seen = HiddenField()


class MoveForm(CaseForm):
    """A plain status move (start review, start investigating, close, reopen)."""

    target = HiddenField()


CASE_FORMS: dict[str, Callable[[], FlaskForm]] = {
    "move": lambda: MoveForm(prefix="move"),
}


def case_forms(**given: FlaskForm) -> dict[str, FlaskForm]:
    """Fresh forms for the page, with `given` (a refused form) in place of its fresh one."""
    return {name: given.get(name) or make() for name, make in CASE_FORMS.items()}
