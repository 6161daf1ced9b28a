"""Uploads: never on disk as plaintext (Werkzeug spools them encrypted); too large, a way back."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, TypeVar

from flask import Request, current_app, request
from flask_babel import gettext as _

from portal.security.filecrypt import make_spool

F = TypeVar("F", bound=Callable[..., object])


class PortalRequest(Request):
    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return make_spool(total_content_length, content_type, filename, content_length)  # type: ignore[return-value]


# --- uploads too large to read --------------------------------------------------------------
# Werkzeug refuses a body over MAX_CONTENT_LENGTH before the view runs (413). The limit sits a
# little above the file limit (the upload rules enforce that one, with the form kept), so only
# a body far over it gets here; a view marked with `too_large_returns` then sends the person
# back to the step they were on, where the message states the limit, instead of a dead end.

_TOO_LARGE = "_portal_too_large"


def too_large_returns(target: Callable[[], str]) -> Callable[[F], F]:
    """On a 413 for this view, redirect (303) to `target()`, built from the request."""

    def mark(view: F) -> F:
        setattr(view, _TOO_LARGE, target)
        return view

    return mark


def too_large_target() -> str | None:
    view = current_app.view_functions.get(request.endpoint or "")
    target = getattr(view, _TOO_LARGE, None)
    return target() if target is not None else None


def too_large_message() -> str:
    return _(
        "Those files were too large to receive: you can send up to %(max)s MB at a time. "
        "Nothing was sent and nothing you wrote is lost. Choose smaller files, or fewer.",
        max=current_app.extensions["portal.upload_rules"].max_megabytes,
    )
