"""Setting up a real installation: `flask users create-admin`, `flask committees sync`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal import db
from portal.domain.errors import InvalidInput
from portal.policies import current_policies
from portal.services import accounts, committees

users = AppGroup("users", help="Accounts.")
committee_group = AppGroup("committees", help="Committees.")


@users.command("create-admin")
@click.option("--email", prompt="Email address")
@click.option("--name", "full_name", prompt="Full name")
@click.password_option("--password", prompt="Password (12 characters or more)")
def create_admin(email: str, full_name: str, password: str) -> None:
    """Create an administrator account (the first one of a new installation)."""
    session = db.session()
    try:
        user = accounts.create_administrator(
            session, full_name=full_name, email=email, password=password
        )
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(f"Administrator {user.email} created.")


@committee_group.command("sync")
def sync() -> None:
    """Create the committees the policy files name, and keep their names in step."""
    session = db.session()
    changes = committees.sync_from_policy(session, current_policies())
    session.commit()
    for change in changes:
        click.echo(change)
    click.echo(f"{len(changes)} change(s); every committee in the policy exists.")
