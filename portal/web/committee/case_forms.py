"""Every form on the committee's case page, by name.

Each entry is a zero-argument factory; give each form its own `prefix` so field ids
stay unique on the page. A POST view builds its form with the same factory, so a
refused form re-renders in place with its errors."""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import HiddenField

from portal.web.committee.escalation_forms import ExtensionForm
from portal.web.forms import PortalForm


class MoveForm(PortalForm):
    """A plain status move (start review, start investigating, close, reopen)."""

    target = HiddenField()


CASE_FORMS: dict[str, Callable[[], FlaskForm]] = {
    "move": lambda: MoveForm(prefix="move"),
    "extend": lambda: ExtensionForm(prefix="extend"),
}


def case_forms(**given: FlaskForm) -> dict[str, FlaskForm]:
    """Fresh forms for the page, with `given` (a refused form) in place of its fresh one."""
    return {name: given.get(name) or make() for name, make in CASE_FORMS.items()}
