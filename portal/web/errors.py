"""Friendly error pages, and domain errors mapped to statuses."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.domain.errors import (
    AddressUnconfirmed,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleCase,
)
from portal.i18n import _l
from portal.pdf.renderer import RenderFailed
from portal.security.errors import AuditChainBroken, DecryptionError
from portal.web import unavailable
from portal.web.uploads import too_large_target

log = logging.getLogger("portal.errors")

TITLES = {
    400: _l("We could not understand that request"),
    403: _l("You do not have access to this page"),
    404: _l("We could not find that page"),
    405: _l("That action is not available here"),
    409: _l("This changed while you were working on it"),
    413: _l("That upload is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("This is not available just now"),
}

DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (PermissionDenied, 403),
    (NotFound, 404),
    (StaleCase, 409),
    (InvalidTransition, 409),
    (InvalidInput, 400),
    (DomainError, 400),
]


def render_error(status: int, message: str | None = None, incident: str | None = None):  # type: ignore[no-untyped-def]
    from portal import db

    try:
        # A failed request must not leave half a change for the error page to commit.
        if request:
            db.rollback()
        if request and wants_json():
            title = TITLES.get(status, _l("Something went wrong"))
            return jsonify(error=str(message or title)), status
        return (
            render_template(
                "errors/error.html",
                status=status,
                title=TITLES.get(status, _l("Something went wrong")),
                message=message,
                incident=incident,
            ),
            status,
        )
    except Exception as exc:
        # The page names the signed-in person, whom loading needs the database: a refused
        # form (CSRF, a domain error) while the database is down is the outage page too.
        if unavailable.is_unavailable(exc):
            return unavailable.unavailable_page(exc)
        raise


def wants_json() -> bool:
    """A script sent JSON (the filing form's suggestions): it gets its error as JSON too."""
    return request.is_json


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError):  # type: ignore[no-untyped-def]
        return render_error(
            400,
            _l(
                "This form expired or was opened in another window. "
                "Please go back, reload the page and try again. Nothing was saved."
            ),
        )

    @app.errorhandler(AddressUnconfirmed)
    def _unconfirmed(exc: AddressUnconfirmed):  # type: ignore[no-untyped-def]
        from portal import db

        db.rollback()
        if wants_json():
            return jsonify(error=str(exc)), 403
        # The refusal comes with its way out: the link sent again.
        return render_template("auth/unconfirmed.html", message=str(exc)), 403

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):  # type: ignore[no-untyped-def]
        status = next(code for cls, code in DOMAIN_STATUS if isinstance(exc, cls))
        return render_error(status, str(exc))

    @app.errorhandler(StaleDataError)
    def _stale(_exc: StaleDataError):  # type: ignore[no-untyped-def]
        return render_error(
            409,
            _l(
                "Someone changed this grievance at the same moment. Please open it again: if what "
                "you sent is not there, send it once more."
            ),
        )

    @app.errorhandler(DecryptionError)
    def _decryption(_exc: DecryptionError):  # type: ignore[no-untyped-def]
        incident = secrets.token_hex(4).upper()
        log.error(
            "decryption failed on %s %s (incident %s)", request.method, request.path, incident
        )
        return render_error(
            500,
            _l("This case could not be opened safely. The administrators have been alerted."),
            incident,
        )

    @app.errorhandler(AuditChainBroken)
    def _audit_broken(exc: AuditChainBroken):  # type: ignore[no-untyped-def]
        # Nothing is written until an operator has looked: extending a cut log
        # would seal the cut into a chain that verifies again.
        incident = secrets.token_hex(4).upper()
        log.critical(
            "audit log tampered, write refused on %s %s (incident %s): %s; run `flask audit verify`",
            request.method,
            request.path,
            incident,
            exc,
        )
        return render_error(500, None, incident)

    @app.errorhandler(RenderFailed)
    def _no_pdf(exc: RenderFailed):  # type: ignore[no-untyped-def]
        log.error("no PDF for %s %s: %s", request.method, request.path, exc)
        return render_error(
            503,
            _l(
                "We could not make this PDF just now. Nothing about your case has changed. "
                "Please try again in a minute."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code == 500:
            return _server_error(exc)
        if exc.code == 413 and (target := too_large_target()):
            return redirect(target, 303)  # back to the step, with the limit stated there
        return render_error(exc.code, _message(exc))

    @app.errorhandler(Exception)
    def _server_error(exc: Exception):  # type: ignore[no-untyped-def]
        original = getattr(exc, "original_exception", exc)
        if unavailable.is_unavailable(original):
            return unavailable.unavailable_page(original)
        incident = secrets.token_hex(4).upper()
        log.error(
            "unhandled %s on %s %s (incident %s)",
            type(original).__name__,
            request.method,
            request.path,
            incident,
            exc_info=original if not isinstance(original, InternalServerError) else None,
        )
        return render_error(500, None, incident)


def _message(exc: HTTPException) -> str | None:
    if exc.code == 413 and wants_json():
        return _l("That request is too large. Nothing was saved.")
    if exc.code == 413:
        return _l(
            "Files can be up to the size shown on the form. "
            "Nothing was saved; please try again with smaller files."
        )
    if exc.code == 429:
        return _l("Please wait a minute before trying again.")
    return None
