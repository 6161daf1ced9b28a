"""Flask commands: `flask keys|demo|audit|files|policies|users|sla|outbox ...`."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from portal.cli import audit, demo, files, keys, kpis, outbox, setup, sla

    app.cli.add_command(keys.group)
    app.cli.add_command(files.group)
    app.cli.add_command(setup.users)
    app.cli.add_command(setup.committee_group)
    app.cli.add_command(demo.group)
    app.cli.add_command(audit.group)
    app.cli.add_command(sla.group)
    app.cli.add_command(kpis.group)
    app.cli.add_command(outbox.group)
    from portal.cli import policies

    policies.register(app)
