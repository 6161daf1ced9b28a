"""Fixtures for the confidential case store: cases, attachments, and an app of its own.

Most tests run in the shared app's rolled-back transaction. Tests that commit
for real, save a key ring, or read the database file need `own_app`: its own
instance folder (key files, evidence folder) and its own database, a new
SQLite file or a new PostgreSQL database when PORTAL_TEST_POSTGRES is set.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from portal import create_app
from portal.db import Base, database
from portal.models.committees import Committee
from portal.models.grievances import Attachment, Grievance
from portal.models.users import User
from portal.security import keys
from portal.security.errors import KeyConfigError
from portal.services import audit, keychecks
from portal.services.references import next_reference
from portal.storage import EvidenceStore
from tests.conftest import PG_BASE, make_settings, postgres_database

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def new_case(
    session: Session,
    member: User,
    committee: Committee,
    subject: str = "Charged twice for dues",
    narrative: str = "My card was charged twice in March.",
    now: datetime = NOW,
) -> Grievance:
    """A flushed case with its own data key, as intake makes one."""
    case = Grievance.new(
        reference=next_reference(session, now),
        member=member,
        channel="web",
        category="ethics",
        priority="normal",
        status="acknowledged",
        committee=committee,
        policy_version="x" * 64,
        first_response_due_at=now + timedelta(days=5),
        resolution_due_at=now + timedelta(days=30),
    )
    case.subject = subject
    case.narrative = narrative
    session.add(case)
    # As intake does: a case never exists without its entry in the audit log.
    audit.record(session, None, "case.filed", "grievance", case.id, now=now)
    return case


def attach(
    session: Session,
    store: EvidenceStore,
    case: Grievance,
    uploader: User,
    data: bytes,
    filename: str = "receipt.txt",
) -> Attachment:
    """An attachment row and its encrypted file in incoming/ (placed at commit)."""
    att = Attachment(grievance=case, uploaded_by=uploader, storage_id=store.new_id(), size=0)
    att.filename = filename  # also gives the row its id, which the file's aad names
    att.content_type = "text/plain"
    att.size = store.write(
        session, att.storage_id, case.case_key(), att.content_aad(), io.BytesIO(data)
    )
    session.add(att)
    session.flush()
    return att


def read_file(store: EvidenceStore, att: Attachment) -> bytes:
    return b"".join(store.read(att.storage_id, att.grievance.case_key(), att.content_aad()))


def flip(blob: bytes, index: int) -> bytes:
    out = bytearray(blob)
    out[index] ^= 0x01
    return bytes(out)


@pytest.fixture
def store(app: Flask) -> EvidenceStore:
    return EvidenceStore(app.extensions["portal.settings"].files_dir)


@contextmanager
def _own_database_url(tmp_path: Path) -> Iterator[str]:
    if PG_BASE:
        with postgres_database("portal_store") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'own.db'}"


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Flask]:
    """An app with its own key files, evidence folder and (committed) database."""
    import portal.models  # noqa: F401  (registers every table)

    try:
        previous: keys.KeyMaterial | None = keys.current()
    except KeyConfigError:
        previous = None
    instance = tmp_path / "instance"
    keys.init_keys(instance / "keys")
    with _own_database_url(tmp_path) as url:
        own = create_app(make_settings(instance, url))
        engine = database(own).engine
        Base.metadata.create_all(engine)
        # What the next start does on the new schema: record the keys, seal the empty log.
        keychecks.check_at_startup(engine, keys.current())
        try:
            yield own
        finally:
            engine.dispose()
            if previous is None:
                keys.uninstall()
            else:
                keys.install(previous)
