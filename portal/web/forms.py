"""Shared form pieces: the portal's base form, its wording of field errors, service refusals."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import Field, Form
from wtforms.validators import ValidationError

from portal.domain.errors import InvalidInput
from portal.i18n import _l

# What WTForms says by itself when a field cannot even read its value. Validators carry
# their own message (tests/unit/test_form_messages.py checks every one); these are the
# errors a field raises before any validator runs, worded as the portal speaks.
FIELD_MESSAGES: dict[str, str] = {
    "Not a valid choice.": _l("Choose one of the options shown."),
    "Invalid Choice: could not coerce.": _l("Choose one of the options shown."),
    "'%(value)s' is not a valid choice for this field.": _l("Choose among the options shown."),
    "'%(value)s' are not valid choices for this field.": _l("Choose among the options shown."),
    "Not a valid date value.": _l("Enter the date as year, month and day, for example 2026-03-02."),
    "Not a valid datetime value.": _l(
        "Enter the date and time as year, month, day, hour and minute."
    ),
    "Not a valid integer value.": _l("Enter a whole number."),
    "Not a valid decimal value.": _l("Enter a number."),
    "Not a valid float value.": _l("Enter a number."),
}
# Any other library sentence (a validator added without a message) still reads as ours.
FALLBACK_MESSAGE = _l("Please check this answer.")


class PortalMessages:
    """WTForms' translations hook: library sentences replaced by the portal's own."""

    def gettext(self, string: str) -> str:
        return str(FIELD_MESSAGES.get(string, FALLBACK_MESSAGE))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


MESSAGES = PortalMessages()


class PortalForm(FlaskForm):
    """Every form of the portal: CSRF from Flask-WTF, error wording from the portal."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Form) -> PortalMessages:
            return MESSAGES


def checked_by(rule: Callable[[str], object]) -> Callable[[Form, Field], None]:
    """A validator asking a service rule (one that raises InvalidInput), so its refusal is
    reported in the same round as every other error of the form."""

    def check(form: Form, field: Field) -> None:
        if not field.data:
            return
        try:
            rule(field.data)
        except InvalidInput as exc:
            raise ValidationError(str(exc)) from None

    return check


def attach_error(form: FlaskForm, error: InvalidInput, *, keep_existing: bool = False) -> None:
    """Show each of a service's refusals beside the field it concerns, or at the top.
    With `keep_existing`, a field the form already refused keeps only the form's message, so
    one mistake is never reported twice in different words."""
    for field_name, message in error.problems:
        field = getattr(form, field_name, None) if field_name else None
        if field is None:
            form.form_errors.append(message)
        elif not (keep_existing and field.errors):
            field.errors = [*field.errors, message]


def safe_next(target: str | None) -> str | None:
    """A relative path on this site, or None: never an address elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target
