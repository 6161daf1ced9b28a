"""The canary: case text written anywhere in the store never reaches disk or log in the clear.

Every encrypted field of every case table gets its own unique marker. After a
real commit, the test reads what an attacker would get (the database file and
its write-ahead log, or every row of every table on PostgreSQL, every evidence
file, the application log and the command output) and finds none of them.

The scan is only worth something if it reads the right bytes, so the test also
shows that the markers come back through the models, and that a plaintext
column (the committee name) is found by the very same scan.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import uuid
from collections.abc import Iterable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.db import database
from portal.domain.roles import Role
from portal.models.grievances import (
    Attachment,
    CaseEvent,
    Decision,
    Grievance,
    InternalNote,
    Message,
    PartyIndex,
)
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.services import audit
from portal.storage import EvidenceStore
from tests.conftest import PG_BASE
from tests.factories import make_committee, make_user
from tests.unit.store.conftest import new_case


def canary(field: str) -> str:
    return f"CANARY-{field}-{uuid.uuid4().hex}"


def leaks(haystack: bytes, markers: Iterable[str]) -> list[str]:
    """The markers found in `haystack`, in any spelling a store might use."""
    found = []
    for marker in markers:
        secret = marker.rsplit("-", 1)[1]  # the random part alone is enough to tell
        spellings = [secret.encode(), secret.upper().encode(), secret.encode("utf-16-le")]
        if any(s in haystack for s in spellings):
            found.append(marker)
    return found


def as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return str(value).encode()


def table_dump(app: Flask) -> bytes:
    """Every value of every row of every table, as a dump would hold them."""
    engine = database(app).engine
    parts: list[bytes] = []
    with engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.select(sa.text("*")).select_from(sa.table(name))):
                parts.extend(as_bytes(value) for value in row)
    return b"\x00".join(parts)


def sqlite_files(app: Flask) -> dict[str, bytes]:
    """The database file and whatever lies beside it (-wal, -shm, -journal)."""
    path = Path(database(app).engine.url.database or "")
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything at DEBUG, from before the app opens its first connection.

    SQLAlchemy holds its own loggers at WARNING unless told otherwise; at DEBUG
    they log every statement and every result row, which is what a careless
    production log level would write. Bound values must stay hidden.
    """
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    return caplog


def write_every_kind_of_case_text(app: Flask, markers: dict[str, str], committee_name: str):  # type: ignore[no-untyped-def]
    store: EvidenceStore = app.extensions["portal.store"]
    with database(app).new_session() as s:
        member = make_user(s, Role.MEMBER, name="Mo Member")
        reviewer = make_user(s, Role.REVIEWER, name="Rae Reviewer")
        committee = make_committee(s, "canary", committee_name)
        case = new_case(s, member, committee, markers["subject"], markers["narrative"])
        case.people_involved = markers["people_involved"]
        case.desired_outcome = markers["desired_outcome"]
        case.triage_reason = markers["triage_reason"]
        case.acknowledgement = markers["acknowledgement"]
        s.add(
            PartyIndex(
                grievance=case,
                kind="email",
                digest=blind_index(keys.current().index_root, "email", markers["party_email"]),
            )
        )

        message = Message(grievance=case, author=None, from_member=True)
        message.body = markers["message"]
        note = InternalNote(grievance=case, author=reviewer)
        note.body = markers["note"]
        event = CaseEvent(grievance=case, actor=reviewer, kind="status", to_status="in_review")
        event.detail = markers["event"]
        decision = Decision(grievance=case, level=1, decided_by=reviewer)
        decision.outcome = markers["outcome"]
        decision.rationale = markers["rationale"]
        decision.remedy = markers["remedy"]
        att = Attachment(grievance=case, uploaded_by=None, storage_id=store.new_id(), size=0)
        att.filename = markers["filename"] + ".txt"
        att.content_type = "text/plain; x-note=" + markers["content_type"]
        content = f"The file says {markers['file']}\n".encode() * 100
        att.size = store.write(
            s, att.storage_id, case.case_key(), att.content_aad(), io.BytesIO(content)
        )
        s.add_all([message, note, event, decision, att])
        s.flush()
        audit.record(s, reviewer, "case.view", "grievance", case.id, {"fields": len(markers)})
        s.commit()
        return case.id, att.id, content


def read_back(app: Flask, case_id: uuid.UUID, att_id: uuid.UUID) -> str:
    """All case text, decrypted through the models in a fresh session."""
    store: EvidenceStore = app.extensions["portal.store"]
    with database(app).new_session() as s:
        case = s.get(Grievance, case_id)
        att = s.get(Attachment, att_id)
        assert case is not None and att is not None
        texts = [getattr(case, f.name) for f in Grievance.encrypted_fields()]
        for child in [*case.messages, *case.notes, *case.events, *case.decisions, att]:
            texts.extend(getattr(child, f.name) for f in type(child).encrypted_fields())
        content = b"".join(store.read(att.storage_id, case.case_key(), att.content_aad()))
        texts.append(content.decode())
        return "\n".join(t for t in texts if t)


def test_no_case_text_reaches_the_disk_or_the_log(debug_log, own_app):
    fields = [
        *("subject", "narrative", "people_involved", "desired_outcome"),
        *("triage_reason", "acknowledgement", "party_email", "message", "note", "event"),
        *("outcome", "rationale", "remedy", "filename", "content_type", "file"),
    ]
    markers = {f: canary(f) for f in fields}
    committee_name = f"Canary Committee {uuid.uuid4().hex[:12]}"  # plaintext by design
    known = committee_name.encode()

    case_id, att_id, content = write_every_kind_of_case_text(own_app, markers, committee_name)
    # Whoever holds a copy of the document must not find it in a dump by its hash.
    fingerprints = [
        hashlib.sha256(content).hexdigest(),
        hashlib.sha256(content).hexdigest().upper(),
        base64.b64encode(hashlib.sha256(content).digest()).decode(),
        base64.urlsafe_b64encode(hashlib.sha256(content).digest()).decode().rstrip("="),
    ]
    cli = own_app.test_cli_runner()
    outputs = [
        cli.invoke(args=["keys", "verify"]),
        cli.invoke(args=["audit", "verify"]),
        cli.invoke(args=["files", "sweep", "--dry-run"]),
    ]
    assert all(r.exit_code == 0 for r in outputs), [r.output for r in outputs]

    # Not vacuous: each marker is really stored, and comes back through the models.
    plain = read_back(own_app, case_id, att_id)
    expected = set(markers) - {"party_email"}  # a blind index is one-way by design
    assert set(leaks(plain.encode(), [markers[f] for f in expected])) == {
        markers[f] for f in expected
    }

    # (a)/(b) the database: every row of every table, on either backend.
    dialect = database(own_app).engine.dialect.name
    assert dialect == ("postgresql" if PG_BASE else "sqlite")
    dump = table_dump(own_app)
    assert known in dump
    assert leaks(dump, markers.values()) == []
    assert [f for f in fingerprints if f.encode() in dump] == []
    assert hashlib.sha256(content).digest() not in dump

    # (a) on SQLite, the files themselves, before and after the WAL is checkpointed.
    if dialect == "sqlite":
        files = sqlite_files(own_app)
        assert any(name.endswith("-wal") for name in files)
        assert known in b"".join(files.values())
        for name, raw in files.items():
            assert leaks(raw, markers.values()) == [], name
            assert [f for f in fingerprints if f.encode() in raw] == [], name
            assert hashlib.sha256(content).digest() not in raw, name
        database(own_app).engine.dispose()  # the last connection checkpoints the WAL
        files = sqlite_files(own_app)
        assert known in b"".join(files.values())
        for name, raw in files.items():
            assert leaks(raw, markers.values()) == [], name

    # (c) every file in the evidence folder, incoming/ included.
    evidence = [
        p for p in own_app.extensions["portal.settings"].files_dir.rglob("*") if p.is_file()
    ]
    assert len(evidence) == 1
    for path in evidence:
        raw = path.read_bytes()
        assert raw.startswith(b"GRVF")
        assert leaks(raw, markers.values()) == [], path

    # (d) the application log at DEBUG, and what the commands printed.
    records = [*debug_log.get_records("setup"), *debug_log.records]
    log = "\n".join([debug_log.text, *(r.getMessage() for r in records)])
    assert "INSERT INTO grievances" in log  # the log did see the writes,
    assert "INSERT INTO messages" in log
    assert "parameters hidden" in log  # without their values,
    assert committee_name in log  # and the rows read back, plaintext columns and all
    printed = "\n".join(r.output for r in outputs)
    assert "encrypted values and 1 files decrypted" in printed
    assert leaks((log + printed).encode(), markers.values()) == []
