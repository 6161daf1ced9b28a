"""`flask keys init|status|rotate|retire|verify`."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup

from portal import db
from portal.security import keys as keyring
from portal.security.errors import KeyConfigError
from portal.services import keyring as rotation

group = AppGroup("keys", help="Manage the encryption keys (kept outside the database).")


def _settings():  # type: ignore[no-untyped-def]
    return current_app.extensions["portal.settings"]


@group.command("init")
def init() -> None:
    """Create whichever key files are missing (never overwrites one)."""
    created = keyring.init_keys(_settings().keys_dir)
    for path in created:
        click.echo(f"created {path}")
    if not created:
        click.echo(f"all keys present in {_settings().keys_dir}")


@group.command("status")
def status() -> None:
    """Key ids, the active one, and how many case keys each wraps."""
    ring = keyring.current().ring
    counts = rotation.usage(db.session())
    for kid in sorted(ring.keys, key=lambda k: int(k[1:]) if k[1:].isdigit() else 0):
        mark = "active" if kid == ring.active_id else "      "
        click.echo(f"{kid:<6} {mark}  wraps {counts.get(kid, 0)} case keys")
    unknown = set(counts) - set(ring.keys)
    for kid in sorted(unknown):
        click.echo(f"{kid:<6} MISSING wraps {counts[kid]} case keys", err=True)
    if unknown:
        raise SystemExit(1)


def _save(ring: keyring.KeyRing) -> None:
    if os.environ.get(keyring.ENV_KEK_RING):
        raise click.ClickException(
            f"the key ring comes from {keyring.ENV_KEK_RING}; rotate it where it is kept"
        )
    keyring.save_ring(_settings().keys_dir, ring)
    material = keyring.current()
    keyring.install(keyring.KeyMaterial(ring, material.index_root, material.secret_key))


@group.command("rotate")
@click.option("--batch-size", default=200, show_default=True)
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
    with click.progressbar(length=pending, label=f"Rewrapping under {ring.active_id}") as bar:
        while done := rotation.rewrap_batch(session, ring, batch_size):
            session.commit()
            bar.update(done)
    click.echo(f"done: every case key is wrapped by {ring.active_id}")
    click.echo("Running web workers pick up the new ring on their next request.")


@group.command("retire")
@click.argument("kid")
def retire(kid: str) -> None:
    """Remove an old key from the ring, only when nothing uses it."""
    ring = keyring.current().ring
    try:
        rotation.check_retirable(db.session(), ring, kid)
    except KeyConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    _save(ring.without(kid))
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
