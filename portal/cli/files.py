"""`flask files sweep`: remove evidence files no case refers to."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from portal import db
from portal.models.grievances import Attachment

group = AppGroup("files", help="The encrypted evidence store.")


@group.command("sweep")
@click.option("--dry-run", is_flag=True, help="List what would be removed.")
def sweep(dry_run: bool) -> None:
    """Remove stored files with no attachment row, and uploads abandoned over an hour ago."""
    store = current_app.extensions["portal.store"]
    # List files before asking the database: a file is moved into place only
    # after its row commits, so an upload finishing meanwhile is never taken
    # for an orphan.
    on_disk = list(store.stored_ids())
    known = set(db.session().scalars(sa.select(Attachment.storage_id)))
    orphans = [sid for sid in on_disk if sid not in known]
    stale = list(store.stale_incoming())
    for sid in orphans:
        click.echo(f"orphan {sid}")
        if not dry_run:
            store.remove(sid)
    for part in stale:
        click.echo(f"abandoned upload {part.name}")
        if not dry_run:
            part.unlink(missing_ok=True)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {len(orphans)} orphaned files and {len(stale)} abandoned uploads")
