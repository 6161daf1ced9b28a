"""`flask audit verify`: prove the history has not been edited."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal import db
from portal.services import audit

group = AppGroup("audit", help="Check the tamper-evident audit log.")


@group.command("verify")
def verify() -> None:
    """Walk the whole chain; exit non-zero and name every entry that was tampered with."""
    session = db.session()
    total = audit.count(session)
    problems: list[audit.Problem] = []
    with click.progressbar(length=total, label="Verifying audit log") as bar:
        for item in audit.verify(session):
            if isinstance(item, audit.Problem):
                problems.append(item)
            bar.update(1)
    for problem in problems:
        click.echo(f"TAMPERED {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{total} entries verified; the chain is intact.")
