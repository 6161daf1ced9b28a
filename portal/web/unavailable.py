"""The database cannot be reached: a 503 page of our own, never a 500 or a stack trace.

A refused connection, one dropped in the middle of a request, a server shutting down or
starting up, a pool with no connection to give: each reaches the web layer as a
SQLAlchemy error, often from inside Flask-Login's user loading or from an error page that
needed the signed-in person. The page is rendered without the database (the person is shown
as signed out for this one page), says when to come back (`Retry-After`) and is logged as
one line without the statement or its parameters. The engine's `pool_pre_ping` throws away
dead pooled connections on the next checkout, so the portal recovers by itself once the
database answers again.
"""

from __future__ import annotations

import contextlib
import logging

import sqlalchemy as sa
from flask import Flask, g, jsonify, make_response, render_template, request

from portal import db
from portal.extensions import login_manager
from portal.i18n import _l

log = logging.getLogger("portal.database")

RETRY_AFTER_SECONDS = 10
TITLE = _l("The grievance portal is briefly unavailable")


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` (or what it wraps) says the database cannot serve us right now."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(
            exc,
            sa.exc.OperationalError
            | sa.exc.InterfaceError
            | sa.exc.DisconnectionError
            | sa.exc.TimeoutError,
        ):
            return True
        exc = getattr(exc, "original_exception", None) or exc.__cause__
        seen += 1
    return False


def _as_visitor() -> None:
    """Render this one page for a visitor: the signed-in person cannot be loaded (or their
    roles refreshed) without the database. Flask-Login keeps the request's user in `g`; its
    own setter puts the anonymous user there, leaving the session cookie as it is, so the
    person is still signed in on the next request."""
    login_manager._update_request_context_with_user(None)


def _reason(exc: BaseException) -> str:
    """A short, safe description: the driver's error class and the first line of its
    message (which names the server, never the statement or its values)."""
    inner = getattr(exc, "orig", None) or exc
    first = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    if isinstance(inner, sa.exc.StatementError):
        first = ""  # SQLAlchemy's own text would quote the statement
    name = f"{type(inner).__module__}.{type(inner).__name__}"
    return f"{name}: {first[:160]}" if first else name


def unavailable_page(exc: BaseException):  # type: ignore[no-untyped-def]
    original = getattr(exc, "original_exception", None) or exc
    _as_visitor()
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.path, _reason(original)
    )
    # Give the broken connection back to the pool (which discards it), without raising again.
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.rollback()
    if request.is_json:
        response = make_response(jsonify(error=str(TITLE)), 503)
    else:
        response = make_response(render_template("errors/unavailable.html", title=TITLE), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    @app.teardown_request
    def _close_quietly(_exc: BaseException | None) -> None:
        """Close the request's session before portal.db's own teardown does (request
        teardowns run before the app context's). When the server went away after the page was made, the closing
        ROLLBACK fails; nothing uncommitted mattered by then (write views commit before they
        answer), so the connection is thrown away and the page the person asked for is
        served rather than turned into a 500 on its way out."""
        session = g.get("db_session")
        if session is None:
            return
        try:
            session.close()
        except sa.exc.SQLAlchemyError as exc:
            if not is_unavailable(exc):
                raise
            log.warning(
                "database connection lost at the end of %s %s: %s",
                request.method,
                request.path,
                _reason(exc),
            )
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                session.invalidate()
