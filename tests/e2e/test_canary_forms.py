"""The canary, through the forms: what a member types and uploads is nowhere in plaintext.

Unique marker strings go into every field of the filing form, a message, an evidence file and
its name, and a withdrawal reason. Then the raw database (SQLite file bytes, or every text and
binary column on PostgreSQL), the evidence folder and the application log are searched.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.db import database
from portal.domain.roles import Role
from portal.models.grievances import Grievance
from tests.conftest import Browser, form_tokens
from tests.factories import PASSWORD, make_committee, make_user

pytestmark = pytest.mark.e2e


def marker(field: str) -> str:
    return f"CANARY{field.upper()}{uuid.uuid4().hex[:12]}"


def raw_database_bytes(app) -> bytes:  # type: ignore[no-untyped-def]
    engine = database(app).engine
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    chunks: list[bytes] = []
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
    return b"\n".join(chunks)


def test_nothing_typed_or_uploaded_is_stored_in_plaintext(live_server, caplog):
    caplog.set_level(logging.DEBUG)
    with live_server.session() as session:
        make_committee(session, "ethics", "Ethics & Professional Conduct")
        make_user(session, Role.MEMBER, email="canary@example.org", name="Cara Nary")
        session.commit()
    marks = {
        name: marker(name)
        for name in (
            "subject",
            "narrative",
            "people",
            "outcome",
            "message",
            "file",
            "filename",
            "reason",
            "party",
        )
    }
    browser = Browser(live_server.app.test_client())
    assert browser.sign_in("canary@example.org", PASSWORD).status_code == 303

    page = browser.get("/grievances/new").get_data(as_text=True)
    form = {
        **form_tokens(page),
        "action": "submit",
        "category": "ethics",
        "subject": marks["subject"],
        "narrative": marks["narrative"],
        "people_involved": marks["people"],
        "desired_outcome": marks["outcome"],
        "party_emails": f"{marks['party'].lower()}@example.org",
        "evidence": [(io.BytesIO(f"notes {marks['file']}\n".encode()), f"{marks['filename']}.txt")],
    }
    filed = browser.client.post("/grievances/new", data=form, content_type="multipart/form-data")
    assert filed.status_code == 303, filed.get_data(as_text=True)
    reference = re.search(r"GRV-\d{4}-\d{6}", filed.headers["Location"]).group(0)
    url = f"/grievances/{reference}"
    assert (
        browser.submit(f"{url}/messages", {"body": marks["message"]}, form_url=url).status_code
        == 303
    )
    withdrawn = browser.submit(f"{url}/withdraw", {"reason": marks["reason"], "confirm": "yes"})
    assert withdrawn.status_code == 303

    # The markers are really there, readable through the models and pages (the scan is not vacuous).
    page = browser.get(url).get_data(as_text=True)
    for name in ("subject", "narrative", "people", "outcome", "message", "filename", "reason"):
        assert marks[name] in page, name
    with live_server.session() as session:
        case = session.scalar(sa.select(Grievance).where(Grievance.reference == reference))
        assert case.narrative == marks["narrative"]

    raw = raw_database_bytes(live_server.app)
    assert b"Ethics & Professional Conduct" in raw  # the scan reads the right database
    files_dir = Path(live_server.app.extensions["portal.settings"].files_dir)
    stored = [p for p in files_dir.rglob("*") if p.is_file()]
    assert stored, "the evidence file should be on disk"
    log = "\n".join(r.getMessage() for r in caplog.records).encode()
    for name, value in marks.items():
        needle = value.encode()
        assert needle not in raw and needle.lower() not in raw, f"{name} found in the database"
        for path in stored:
            assert needle not in path.read_bytes() and needle.decode() not in path.name, (
                f"{name} in {path}"
            )
        assert needle not in log, f"{name} found in the log"
