"""The one confirmation pattern for actions that cannot be taken back.

A destructive action is a pair of routes on one URL: GET shows `confirm.html` (what will
happen, whether it can be undone, a red button and a way back), POST acts only when the form
carries `confirm=yes`, which only that page sends. Without it the POST changes nothing and
sends the person to the confirmation page. No JavaScript is involved, so the page is the
same with or without it; every later destructive action uses `Confirmation` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import redirect, render_template, request
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField
from wtforms.validators import AnyOf

from portal.i18n import _l
from portal.web.forms import PortalForm


class ConfirmForm(PortalForm):
    """The form of a confirmation page: its CSRF token and `confirm=yes`."""

    confirm = HiddenField(
        validators=[AnyOf(["yes"], message=_l("Please confirm on this page first."))]
    )


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation page says: its title, what will happen, and its two ways out."""

    title: str
    consequences: Sequence[str]
    button: str
    cancel_url: str
    cancel: str = field(default_factory=lambda: _l("Cancel"))
    irreversible: bool = True


def confirmation_page(
    confirmation: Confirmation,
    form: FlaskForm | None = None,
    fields: Sequence[str] = (),
    status: int = 200,
    hidden: Sequence[str] = (),
) -> tuple[str, int]:
    """The page asking to confirm; `fields` are more of `form`'s fields to fill in first,
    `hidden` those it carries on unseen (what was chosen on the page before)."""
    return (
        render_template(
            "confirm.html",
            c=confirmation,
            form=form or ConfirmForm(),
            fields=fields,
            hidden=hidden,
        ),
        status,
    )


def unconfirmed() -> Response | None:
    """For a POST that arrived without `confirm=yes`: back to the confirmation page (GET)."""
    if request.form.get("confirm") == "yes":
        return None
    return redirect(request.path, 303)
