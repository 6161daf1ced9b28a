"""Every validation message a person can read is the portal's own wording, not WTForms'."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

import portal.web
from portal.web.forms import FIELD_MESSAGES, MESSAGES, PortalForm


def _form_classes() -> list[type[FlaskForm]]:
    found: dict[str, type[FlaskForm]] = {}
    for info in pkgutil.walk_packages(portal.web.__path__, "portal.web."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[name] for name in sorted(found)]


FORMS = _form_classes()


def _validators(unbound: UnboundField) -> list[object]:
    if "validators" in unbound.kwargs:
        return list(unbound.kwargs["validators"] or [])
    return list(unbound.args[1]) if len(unbound.args) > 1 else []


def test_the_walk_finds_the_forms_people_fill_in():
    names = {cls.__name__ for cls in FORMS}
    assert {"FilingForm", "RegisterForm", "InviteForm", "WithdrawForm", "SeatForm"} <= names


@pytest.mark.parametrize("form", FORMS, ids=lambda cls: cls.__qualname__)
def test_every_validator_of_every_form_says_something_of_ours(form):
    assert issubclass(form, PortalForm), "derive from PortalForm, so field errors read as ours"
    missing = []
    for name, unbound in inspect.getmembers(form, lambda v: isinstance(v, UnboundField)):
        for validator in _validators(unbound):
            # Validators with a message slot (DataRequired, Length, Email, NumberRange,
            # EqualTo, AnyOf, ...) must fill it; Optional and our own checks have none.
            if hasattr(validator, "message") and not validator.message:
                missing.append(f"{name}: {type(validator).__name__}")
    assert missing == []


def test_library_sentences_are_replaced_and_never_leak():
    assert MESSAGES.gettext("Not a valid choice.") == str(FIELD_MESSAGES["Not a valid choice."])
    assert MESSAGES.gettext("Field cannot be longer than %(max)d characters.") == (
        "Please check this answer."
    )
    assert MESSAGES.ngettext("a", "'%(value)s' are not valid choices for this field.", 2) == (
        "Choose among the options shown."
    )
