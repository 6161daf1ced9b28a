"""An installation from before the re-seal migration upgrades, and its cases still open.

Rows are written exactly as the previous release wrote them (format 1 ciphertexts,
`member_id`, a plaintext `sha256`, the single-key audit chain), then
`alembic upgrade head` runs with the installation's keys.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal import create_app
from portal.db import database, make_engine
from portal.models.audit import AuditEntry, AuditHead
from portal.models.grievances import Attachment, CaseEvent, Grievance, Message
from portal.security import keys
from portal.security.filecrypt import encrypt_stream
from portal.services import audit
from portal.storage import EvidenceStore
from tests.conftest import make_settings
from tests.test_migrations import alembic_config

BEFORE = "eea97d4eb92b"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def seal_v1(dek: bytes, text: str, aad: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return b"\x01" + nonce + AESGCM(dek).encrypt(nonce, text.encode(), aad.encode())


def legacy_chain(root: bytes, rows: list[dict[str, object]]) -> tuple[str, str]:
    """Hash rows as the previous release did; returns the last hash and the head's MAC."""
    key = keys.derive_key(root, "audit-chain")
    prev = "0" * 64
    for row in rows:
        body = json.dumps(
            [
                row["id"],
                row["at"].isoformat(),  # type: ignore[union-attr]
                *(row[k] for k in ("actor_id", "action", "object_type", "object_id", "detail")),
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        row["prev_hash"] = prev
        row["hash"] = prev = hmac.new(key, f"{prev}\n{body}".encode(), hashlib.sha256).hexdigest()
    last_id = rows[-1]["id"]
    mac = hmac.new(key, f"head|{last_id}|{prev}".encode(), hashlib.sha256).hexdigest()
    return prev, mac


class _Native:
    """A reflected table whose inserts take values as the old models stored them."""

    def __init__(self, table: sa.Table, dialect: str) -> None:
        self.table, self.sqlite = table, dialect == "sqlite"

    def _value(self, value: object) -> object:
        if self.sqlite and isinstance(value, uuid.UUID):
            return value.hex  # SQLAlchemy's Uuid on SQLite: 32 hex digits
        if self.sqlite and isinstance(value, datetime):
            return value.replace(tzinfo=None)
        return value

    def rows(self, rows: dict | list[dict]) -> list[dict]:
        rows = rows if isinstance(rows, list) else [rows]
        return [{k: self._value(v) for k, v in row.items()} for row in rows]


def write_old_installation(url: str, material: keys.KeyMaterial, store: EvidenceStore) -> dict:
    """One member's withheld-identity case with a message, an internal event and a file."""
    kid, kek = material.ring.active()
    case_id, event_id, message_id, att_id = (uuid.uuid4() for _ in range(4))
    dek = secrets.token_bytes(32)
    nonce = secrets.token_bytes(12)
    wrapped = nonce + AESGCM(kek).encrypt(nonce, dek, f"grievance|{case_id}".encode())
    storage_id = secrets.token_hex(16)
    path = store.path_of(storage_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    content = b"The minutes of the 3 March meeting.\n" * 50
    import io

    with open(path, "wb") as out:
        encrypt_stream(dek, f"attachments|content|{att_id}|1".encode(), io.BytesIO(content), out)

    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    t = {name: _Native(table, engine.dialect.name) for name, table in meta.tables.items()}
    audit_rows = [
        {
            "id": 1,
            "at": T0,
            "actor_id": 1,
            "action": "case.filed",
            "object_type": "grievance",
            "object_id": str(case_id),
            "detail": "{}",
        },
        {
            "id": 2,
            "at": T0,
            "actor_id": 1,
            "action": "case.viewed",
            "object_type": "grievance",
            "object_id": str(case_id),
            "detail": "{}",
        },
    ]
    last_hash, head_mac = legacy_chain(material.index_root, audit_rows)

    def put(conn: sa.Connection, name: str, rows: dict | list[dict]) -> None:
        conn.execute(t[name].table.insert(), t[name].rows(rows))

    with engine.begin() as conn:
        put(
            conn,
            "users",
            [
                {
                    "id": 1,
                    "email": "old@example.org",
                    "email_key": "old@example.org",
                    "full_name": "Olga Oldcase",
                    "active": True,
                    "created_at": T0,
                },
                {
                    "id": 2,
                    "email": "rev@example.org",
                    "email_key": "rev@example.org",
                    "full_name": "Rex Reviewer",
                    "active": True,
                    "created_at": T0,
                },
            ],
        )
        put(
            conn,
            "committees",
            {"id": 1, "slug": "ethics", "name": "Ethics", "description": ""},
        )
        put(
            conn,
            "grievances",
            {
                "id": case_id,
                "reference": "GRV-2026-000001",
                "member_id": 1,
                "channel": "web",
                "category": "ethics",
                "priority": "normal",
                "status": "acknowledged",
                "is_open": True,
                "escalation_level": 1,
                "committee_id": 1,
                "identity_hidden": True,
                "policy_version": "x" * 64,
                "submitted_at": T0,
                "first_response_due_at": T0 + timedelta(days=1),
                "resolution_due_at": T0 + timedelta(days=20),
                "last_activity_at": T0,
                "paused_seconds": 0,
                "dek_key_id": kid,
                "dek_wrapped": wrapped,
                "version": 1,
                "subject_ct": seal_v1(dek, "Old subject", f"grievances|subject|{case_id}|1"),
                "narrative_ct": seal_v1(dek, "Old narrative", f"grievances|narrative|{case_id}|1"),
            },
        )
        put(
            conn,
            "case_events",
            {
                "id": event_id,
                "grievance_id": case_id,
                "at": T0,
                "actor_id": 2,
                "kind": "note",
                "public": False,
                "detail_ct": seal_v1(dek, "Internal step", f"case_events|detail|{event_id}|1"),
            },
        )
        put(
            conn,
            "messages",
            {
                "id": message_id,
                "grievance_id": case_id,
                "author_id": 1,
                "from_member": True,
                "sent_at": T0,
                "body_ct": seal_v1(dek, "Old message", f"messages|body|{message_id}|1"),
            },
        )
        put(
            conn,
            "attachments",
            {
                "id": att_id,
                "grievance_id": case_id,
                "uploaded_by_id": 1,
                "uploaded_at": T0,
                "storage_id": storage_id,
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "from_member": True,
                "filename_ct": seal_v1(dek, "minutes.txt", f"attachments|filename|{att_id}|1"),
                "content_type_ct": seal_v1(
                    dek, "text/plain", f"attachments|content_type|{att_id}|1"
                ),
            },
        )
        put(conn, "audit_entries", audit_rows)
        put(
            conn,
            "audit_head",
            {"id": 1, "last_id": 2, "last_hash": last_hash, "mac": head_mac},
        )
    engine.dispose()
    return {"case": case_id, "event": event_id, "message": message_id, "attachment": att_id}


def test_an_existing_installation_migrates_and_verifies(empty_database_url: str, tmp_path: Path):
    instance = tmp_path / "instance"
    keys.init_keys(instance / "keys")
    material = keys.load_keys(instance / "keys", {})
    store = EvidenceStore(instance / "evidence")
    config = alembic_config(empty_database_url)
    command.upgrade(config, BEFORE)
    ids = write_old_installation(empty_database_url, material, store)

    config.attributes["keys"] = material
    command.upgrade(config, "head")

    app = create_app(make_settings(instance, empty_database_url))
    try:
        with database(app).new_session() as s:
            case = s.get(Grievance, ids["case"])
            assert case is not None
            assert (case.subject, case.narrative) == ("Old subject", "Old narrative")
            assert case.member_user_id() == 1 and case.identity_hidden
            assert s.get(CaseEvent, ids["event"]).detail == "Internal step"
            message = s.get(Message, ids["message"])
            assert message.body == "Old message" and message.author_id is None
            attachment = s.get(Attachment, ids["attachment"])
            assert attachment.filename == "minutes.txt" and attachment.uploaded_by_id is None
            columns = {c["name"] for c in sa.inspect(s.connection()).get_columns("attachments")}
            assert "sha256" not in columns
            assert "member_id" not in {
                c["name"] for c in sa.inspect(s.connection()).get_columns("grievances")
            }
            # The old chain keeps verifying, and grows under the new keys; the first
            # start opened the other lanes, saying so in lane 1.
            assert s.scalar(sa.select(sa.func.count()).select_from(AuditHead)) == audit.LANES
            opened = s.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "audit.lanes_opened")
            )
            assert [(e.lane, e.seq) for e in opened] == [(1, 3)]
            audit.record(s, None, "case.viewed", "grievance", case.id, by_member=True)
            s.commit()
        cli = app.test_cli_runner()
        checked = cli.invoke(args=["keys", "verify"])
        assert checked.exit_code == 0, checked.output
        assert "all encrypted data is readable" in checked.output
        chain = cli.invoke(args=["audit", "verify"])
        assert chain.exit_code == 0, chain.output
        assert "4 entries verified; the chain is intact." in chain.output
    finally:
        database(app).engine.dispose()


def test_the_migration_refuses_without_the_right_keys(empty_database_url: str, tmp_path: Path):
    instance = tmp_path / "instance"
    keys.init_keys(instance / "keys")
    material = keys.load_keys(instance / "keys", {})
    config = alembic_config(empty_database_url)
    command.upgrade(config, BEFORE)
    write_old_installation(empty_database_url, material, EvidenceStore(instance / "evidence"))

    other = keys.KeyMaterial(
        keys.KeyRing(
            keys={material.ring.active_id: secrets.token_bytes(32)},
            active_id=material.ring.active_id,
        ),
        material.index_root,
        material.secret_key,
    )
    config.attributes["keys"] = other
    with pytest.raises(RuntimeError, match="restore the key files"):
        command.upgrade(config, "head")
