"""`flask demo seed`: a demo association to try the portal with."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal import db
from portal.policies import current_policies
from portal.services import demo

group = AppGroup("demo", help="The demo association.")


@group.command("seed")
def seed() -> None:
    """Seed the demo association when the database is empty, then list the demo sign-ins."""
    if current_app.extensions["portal.settings"].production:
        raise click.ClickException(
            "the demo association is not for production; use `flask users create-admin` "
            "and `flask committees sync`"
        )
    session = db.session()
    if demo.is_empty(session):
        accounts = demo.seed(session, current_policies())
        ext = current_app.extensions
        cases = demo.seed_cases(
            session, current_policies(), ext["portal.store"], ext["portal.upload_rules"]
        )
        session.commit()
        click.echo(f"Seeded the demo association: {len(accounts)} accounts, {cases} grievances.")
    else:
        accounts = demo.existing_demo_accounts(session)
        click.echo("The database already has accounts; nothing was seeded.")
    if accounts:
        click.echo("Demo sign-ins (role, email, password):")
    for account in accounts:
        click.echo(f"  {account.role.value:<13} {account.email:<36} {account.password}")
