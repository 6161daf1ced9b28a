"""`flask kpis rebuild`: recompute the dashboard's measures and ledger from the cases."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal import db
from portal.policies import current_policies
from portal.services import kpi_rebuild

group = AppGroup("kpis", help="The dashboard's figures.")


@group.command("rebuild")
@click.option(
    "--if-behind",
    is_flag=True,
    help="Only when the ledger does not count every case (after an upgrade or a bulk import).",
)
def rebuild(if_behind: bool) -> None:
    """Fill in each case's working hours and repeat mark, and write the daily ledger anew.

    Safe at any time: the ledger keeps itself in step with every change made through the
    portal, and this writes the same figures from the cases' metadata."""
    session = db.session()
    if if_behind and not kpi_rebuild.behind(session):
        click.echo("The dashboard's ledger counts every case: nothing to do.")
        return
    done = kpi_rebuild.rebuild(session, current_policies().calendar)
    session.commit()
    click.echo(done.line())
