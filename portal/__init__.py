"""The grievance portal: a confidential grievance process for member associations."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from portal.config import ROOT, Settings, SettingsError

if TYPE_CHECKING:
    from flask import Flask

    from portal.db import Database
    from portal.security.keys import KeyMaterial

# Flask, SQLAlchemy and the rest are imported when an app is built, not with the package:
# the PDF renderer (portal.pdf.server) is a process of the package that needs none of them.

# Room in a request body for the form fields sent beside the largest allowed files.
FORM_HEADROOM_MB = 1


class StartupError(Exception):
    """The portal cannot start; the message is one line for the operator."""


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app. Raises StartupError for a missing key, bad setting or policy file."""
    import sqlalchemy as sa
    from flask import Flask

    from portal import db, policies
    from portal.policies.errors import PolicyError
    from portal.security import keys, passwords
    from portal.security.errors import KeyConfigError

    try:
        settings = settings or Settings.from_env()
        env = os.environ if not settings.testing else {}
        try:
            material = keys.load_keys(settings.keys_dir, env)
        except KeyConfigError:
            # Ask the database whether it holds data, so the advice is never "init" then.
            from portal.services.keychecks import url_holds_data

            if not url_holds_data(settings.resolved_database_url):
                raise
            material = keys.load_keys(settings.keys_dir, env, holds_data=True)
        secret_key = settings.secret_key or material.secret_key
        settings = settings.with_(secret_key=secret_key)
        settings.check()
    except (KeyConfigError, SettingsError) as exc:
        raise StartupError(str(exc)) from exc
    if not settings.testing:
        keys.scrub_environment(os.environ)
        os.environ.pop("PORTAL_MAIL_PASSWORD", None)  # kept in settings only, never logged
    keys.install(material)
    passwords.use_fast_hashing(settings.argon2_fast)

    app = Flask(
        "portal",
        instance_path=str(settings.instance_path.resolve()),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(
        SECRET_KEY=secret_key,
        DEBUG=settings.debug,
        TESTING=settings.testing,
        # The files' limit is the upload rules' (max_bytes, checked with the form kept); the
        # body may be a little larger so that the form around the files is still read.
        MAX_CONTENT_LENGTH=(settings.max_upload_mb + FORM_HEADROOM_MB) * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        SESSION_COOKIE_NAME="portal_session",
        # The form token lives as long as the session: a member writing a long
        # grievance must not lose it to a one-hour CSRF expiry.
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage,
        RATELIMIT_ENABLED=not settings.testing or bool(settings.extra.get("ratelimit")),
        RATELIMIT_HEADERS_ENABLED=False,
    )
    app.extensions["portal.settings"] = settings
    app.extensions["portal.keys"] = material
    app.extensions["portal.key_watcher"] = keys.RingWatcher(
        settings.keys_dir, fixed=material.ring_from_env
    )
    if not settings.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )

    from portal.pdf.renderer import Renderer
    from portal.services.evidence import UploadRules
    from portal.storage import EvidenceStore

    app.extensions["portal.store"] = EvidenceStore(settings.files_dir)
    app.extensions["portal.pdf"] = Renderer(settings.instance_path, ROOT / "static")
    app.extensions["portal.upload_rules"] = UploadRules(
        settings.allowed_upload_types,
        max_files=settings.max_files,
        max_bytes=settings.max_upload_mb * 1024 * 1024,
    )
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    database = db.init_app(app, settings.resolved_database_url)
    from portal.services import keychecks

    try:
        keychecks.check_at_startup(database.engine, material)
    except KeyConfigError as exc:
        raise StartupError(str(exc)) from exc
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        _check_keys_on_first_request(app, database, material, exc)
    try:
        policies.init_app(app, Path(settings.policies_dir))
    except PolicyError as exc:
        raise StartupError(str(exc)) from exc

    from portal.web import init_web

    init_web(app)

    from portal.cli import register_commands

    register_commands(app)
    return app


def _check_keys_on_first_request(
    app: Flask, database: Database, material: KeyMaterial, exc: Exception
) -> None:
    """The database did not answer at start-up (restarting, not up yet). A worker refusing to
    boot would make gunicorn stop for good when it replaces one during an outage, so the
    worker starts, and the keys are checked before any request touches the database: until
    the check can run, requests get the outage page (it raises the connection error); a key
    that is not this database's stops every request with a CRITICAL line, as at start-up."""
    from flask import abort

    from portal.security.errors import KeyConfigError
    from portal.services import keychecks

    log = logging.getLogger("portal.startup")
    log.warning(
        "database not answering at start-up (%s); keys will be checked on the first request",
        type(getattr(exc, "orig", exc)).__name__,
    )
    unchecked = threading.Event()
    unchecked.set()
    lock = threading.Lock()

    @app.before_request
    def _check_keys_first() -> None:
        if not unchecked.is_set():
            return
        with lock:
            if not unchecked.is_set():
                return
            try:
                keychecks.check_at_startup(database.engine, material)
            except KeyConfigError as refused:
                log.critical("portal: cannot serve: %s", refused)
                abort(500)
            unchecked.clear()


def settings_of(app: Flask) -> Settings:
    return app.extensions["portal.settings"]
