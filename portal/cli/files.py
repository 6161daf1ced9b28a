"""`flask files sweep`: tidy the evidence store after crashes (see portal/storage.py)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from portal import db
from portal.models.grievances import Attachment
from portal.storage import STALE_AFTER_SECONDS, EvidenceStore

group = AppGroup("files", help="The encrypted evidence store.")


@group.command("sweep")
@click.option("--dry-run", is_flag=True, help="List what would be done, change nothing.")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=STALE_AFTER_SECONDS,
    show_default=True,
    help="Seconds after which an upload no case names is abandoned (0 once the portal is stopped).",
)
def sweep(dry_run: bool, older_than: int) -> None:
    """Remove stored files no case refers to and abandoned uploads; put in place the files of
    cases committed by a process that died before it could move them."""
    store: EvidenceStore = current_app.extensions["portal.store"]
    # List files before asking the database: a file is moved into place only
    # after its row commits, so an upload finishing meanwhile is never taken
    # for an orphan, and a part whose row we see is complete.
    on_disk = list(store.stored_ids())
    parts = store.incoming_parts()
    known = set(db.session().scalars(sa.select(Attachment.storage_id)))
    orphans = [sid for sid in on_disk if sid not in known]
    committed = [sid for sid in parts if sid in known]
    abandoned = [
        part for sid, part in parts.items() if sid not in known and store.is_stale(part, older_than)
    ]
    for sid in orphans:
        click.echo(f"orphan {sid}")
        if not dry_run:
            store.remove(sid)
    placed = 0
    for sid in committed:
        click.echo(f"committed upload put in place {sid}")
        if not dry_run:
            placed += store.place(sid)
    for part in abandoned:
        click.echo(f"abandoned upload {part.name}")
        if not dry_run:
            part.unlink(missing_ok=True)
    verb = "would remove" if dry_run else "removed"
    moved = len(committed) if dry_run else placed
    click.echo(
        f"{verb} {len(orphans)} orphaned files and {len(abandoned)} abandoned uploads; "
        f"{moved} committed uploads {'would be ' if dry_run else ''}put in place"
    )
