"""`flask sla sweep`: keep the promised dates (run it every minute from cron)."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from portal import db
from portal.db import utcnow
from portal.policies import current_policies
from portal.services import surveys
from portal.services import sweep as sweeping

group = AppGroup("sla", help="Promised dates and the escalation ladder.")


@group.command("sweep")
@click.option(
    "--at",
    "at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    help="Sweep as if it were this moment (ISO 8601 with an offset); for trying things out.",
)
def sweep(at: datetime | None) -> None:
    """Mark cases due soon, record missed dates and move those cases up the ladder; send
    the surveys due after decisions, and their one reminder.

    Safe to run as often as you like: a second run straight after the first does nothing."""
    session = db.session()
    now, policies = at or utcnow(), current_policies()
    summary = sweeping.sweep(session, policies, now)
    session.commit()
    click.echo(summary.line())
    sent = surveys.sweep(session, policies, now)
    session.commit()
    click.echo(sent.line())
