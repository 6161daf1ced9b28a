"""Shared form pieces."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm

from portal.domain.errors import InvalidInput


def attach_error(form: FlaskForm, error: InvalidInput) -> None:
    """Show a service's refusal beside the field it concerns, or at the top."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


def safe_next(target: str | None) -> str | None:
    """A relative path on this site, or None: never an address elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target
