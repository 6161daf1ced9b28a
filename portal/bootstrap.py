"""A minimal app for when the portal cannot start: it creates keys and checks policies."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

from portal.config import Settings


def create_bootstrap_app(settings: Settings | None = None) -> Flask:
    from portal.cli.keys import init

    settings = settings or Settings.from_env()
    app = Flask("portal-bootstrap", instance_path=str(settings.instance_path.resolve()))
    app.extensions["portal.settings"] = settings
    keys = AppGroup("keys", help="Create the encryption keys.")
    keys.add_command(init)
    app.cli.add_command(keys)
    from portal.cli.policies import register

    register(app)
    return app
