"""`flask keys init|status|rotate|retire|verify`."""

from __future__ import annotations

from dataclasses import replace

import click
from flask import current_app
from flask.cli import AppGroup

from portal import db
from portal.security import keys as keyring
from portal.security.errors import KeyConfigError
from portal.services import keychecks
from portal.services import keyring as rotation

group = AppGroup("keys", help="Manage the encryption keys (kept outside the database).")


def _settings():  # type: ignore[no-untyped-def]
    return current_app.extensions["portal.settings"]


@group.command("init")
def init() -> None:
    """Create the key files of a new installation (never overwrites one).

    Refuses when a key file is missing but the database already holds data:
    a new key could not read what the lost one sealed, so the only fix is
    restoring the file from the backup."""
    settings = _settings()
    names = (keyring.KEK_FILE, keyring.INDEX_FILE, keyring.SECRET_FILE)
    missing = [n for n in names if not (settings.keys_dir / n).exists()]
    if not missing:
        click.echo(f"all keys present in {settings.keys_dir}")
        return
    if keychecks.url_holds_data(settings.resolved_database_url):
        raise click.ClickException(
            f"{', '.join(missing)} missing from {settings.keys_dir}, but the database already "
            "holds data sealed with the original keys. Restore the key files from the backup "
            "of this installation; a new key would leave every case unreadable."
        )
    for path in keyring.init_keys(settings.keys_dir):
        click.echo(f"created {path}")


@group.command("status")
def status() -> None:
    """Key ids, the active one, and how many case keys each wraps."""
    ring = keyring.current().ring
    counts = rotation.usage(db.session())
    for kid in sorted(ring.keys):
        mark = "active" if kid == ring.active_id else "      "
        click.echo(f"{kid:<6} {mark}  wraps {counts.get(kid, 0)} case keys")
    unknown = set(counts) - set(ring.keys)
    for kid in sorted(unknown):
        click.echo(f"{kid:<6} MISSING wraps {counts[kid]} case keys", err=True)
    if unknown:
        raise SystemExit(1)


def _save(ring: keyring.KeyRing) -> None:
    material = keyring.current()
    if material.ring_from_env:
        raise click.ClickException(
            f"the key ring comes from {keyring.ENV_KEK_RING}; rotate it where it is kept"
        )
    updated = replace(material, ring=ring)
    # The check value first: a ring saved with a key the database does not know
    # would stop the next start.
    session = db.session()
    keychecks.register(session, updated)
    session.commit()
    keyring.save_ring(_settings().keys_dir, ring)
    keyring.install(updated)


@group.command("rotate")
@click.option("--batch-size", default=1000, show_default=True)
@click.option(
    "--new-key/--resume", default=None, help="Force a new key, or only finish a rotation."
)
def rotate(batch_size: int, new_key: bool | None) -> None:
    """Make a new key active and rewrap every case key. Safe to stop and run again."""
    session = db.session()
    ring = keyring.current().ring
    pending = rotation.pending_rewrap(session, ring)
    if new_key or (new_key is None and pending == 0):
        ring = ring.with_new_active_key()
        _save(ring)
        click.echo(f"new active key {ring.active_id}")
        pending = rotation.pending_rewrap(session, ring)
    else:
        click.echo(f"resuming: {pending} case keys still wrapped by older keys")
    progress = rotation.RewrapProgress()
    with click.progressbar(length=pending, label=f"Rewrapping under {ring.active_id}") as bar:
        while done := rotation.rewrap_batch(session, ring, progress, batch_size):
            session.commit()
            bar.update(done)
    for skipped in progress.skipped:
        click.echo(f"SKIPPED {skipped}", err=True)
    if progress.skipped:
        click.echo(
            f"{len(progress.skipped)} case keys could not be unwrapped and were left as they are; "
            "`flask keys verify` lists what is damaged. Every other case key is wrapped by "
            f"{ring.active_id}.",
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"done: every case key is wrapped by {ring.active_id}")
    click.echo("Running web workers pick up the new ring on their next request.")


@group.command("retire")
@click.argument("kid")
def retire(kid: str) -> None:
    """Remove an old key from the ring, only when nothing uses it."""
    ring = keyring.current().ring
    session = db.session()
    try:
        rotation.check_retirable(session, ring, kid)
    except KeyConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    _save(ring.without(kid))
    # A worker still on the old ring could have wrapped a case under `kid`
    # between the check and the save: look again, and put the key back if so.
    session.rollback()
    still = rotation.usage(session).get(kid, 0)
    if still:
        _save(ring)
        raise click.ClickException(
            f"{kid} was used for {still} case keys while retiring; it is back in the ring. "
            "Run `flask keys rotate --resume`, then retire again."
        )
    click.echo(f"retired {kid}")


@group.command("verify")
def verify() -> None:
    """Decrypt every encrypted value and file; exit non-zero on any failure."""
    session = db.session()
    store = current_app.extensions["portal.store"]
    report = rotation.VerifyReport()
    total = rotation.count_items(session)
    with click.progressbar(
        rotation.verify_all(session, store, report), length=total, label="Decrypting the case store"
    ) as bar:
        for _ in bar:
            pass
    click.echo(f"{report.values} encrypted values and {report.files} files decrypted")
    for failure in report.failures:
        click.echo(f"FAILED {failure}", err=True)
    if report.failures:
        raise SystemExit(1)
    click.echo("all encrypted data is readable")
