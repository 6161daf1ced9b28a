"""Attacks by someone who can write to the database but holds no key file, seen through the web.

Each test files cases as a member does, then changes rows with raw SQL (committed),
and checks what the member or the operator would notice: an error page with an
incident id instead of a leak, a refused audit write, a failing `flask audit verify`.
"""

from __future__ import annotations

import io
import re
import socket
import uuid

import pytest
import sqlalchemy as sa

from portal.db import Base
from portal.domain.roles import Role
from portal.models.audit import AuditEntry, AuditHead
from portal.models.grievances import Attachment, CaseEvent, Grievance, Message
from portal.models.users import User
from portal.security import keys
from portal.security.audit_seal import GENESIS, head_seal
from portal.security.errors import DecryptionError
from portal.services import audit, cases, evidence, timeline
from tests.conftest import Browser
from tests.factories import PASSWORD, make_user
from tests.web.conftest import PDF, REF_RE, file_grievance

ENTRIES = AuditEntry.__table__
HEAD = AuditHead.__table__
INCIDENT_RE = re.compile(r"quote incident <strong>([0-9A-F]{8})</strong>")
# Each lane written to: lane.position.hash, joined by "+".
ANCHOR_RE = re.compile(
    r"^audit-anchor:3:\d+\.\d+\.[0-9a-f]{64}(\+\d+\.\d+\.[0-9a-f]{64})*:\S+:[0-9a-f]{64}$"
)


def filed(browser: Browser, **changes: object) -> str:
    response = file_grievance(browser, **changes)
    assert response.status_code == 303, response.get_data(as_text=True)
    return REF_RE.search(response.headers["Location"]).group(0)


def case_of(session, ref: str) -> Grievance:  # type: ignore[no-untyped-def]
    stmt = sa.select(Grievance).where(Grievance.reference == ref)
    return session.scalars(stmt.execution_options(populate_existing=True)).one()


def head_row(session) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return dict(session.execute(sa.select(HEAD).where(HEAD.c.id == 1)).one()._mapping)


def put_back(session, head: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    """Delete every entry after the one `head` names, then write that head row back."""
    session.execute(sa.delete(ENTRIES).where(ENTRIES.c.seq > head["last_seq"]))
    session.execute(sa.update(HEAD).where(HEAD.c.id == 1).values(head))


def failed_closed(response) -> str:  # type: ignore[no-untyped-def]
    """The portal's 500 page with an incident id; its text is returned for more checks."""
    html = response.get_data(as_text=True)
    assert response.status_code == 500, html
    assert INCIDENT_RE.search(html), html
    assert "Content-Disposition" not in response.headers
    return html


def audit_verify(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def logged(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """The error log lines containing `text`: what the operator is alerted with."""
    return [
        m for r in caplog.records if r.name == "portal.errors" and text in (m := r.getMessage())
    ]


TAMPERED = "audit log tampered, write refused on GET"
UNDECRYPTABLE = "decryption failed on GET"


# --- the audit log ---------------------------------------------------------


def test_a_head_moved_back_over_a_cut_tail_is_refused_and_stays_reported(
    app, member_browser, session, caplog
):
    """Attack: delete the newest entries, point the head's id and hash at an older entry."""
    ref = filed(member_browser, subject="First matter")
    kept = session.execute(sa.select(ENTRIES).order_by(ENTRIES.c.id.desc()).limit(1)).one()
    filed(member_browser, subject="Second matter")
    session.execute(sa.delete(ENTRIES).where(ENTRIES.c.id > kept.id))
    session.execute(
        sa.update(HEAD).where(HEAD.c.id == 1).values(last_seq=kept.seq, last_hash=kept.hash)
    )
    session.commit()

    for attempt in (1, 2):
        html = failed_closed(member_browser.get(f"/grievances/{ref}"))
        assert "First matter" not in html
        assert audit.count(session) == kept.seq, f"request {attempt} extended the cut log"
        assert len(logged(caplog, TAMPERED)) == attempt
        result = audit_verify(app)
        assert result.exit_code != 0
        assert "TAMPERED log: the chain head was altered" in result.output
    incident = INCIDENT_RE.search(html).group(1)
    assert f"(incident {incident})" in logged(caplog, TAMPERED)[-1]


def test_a_replayed_old_head_over_a_cut_tail_fails_verification(app, member_browser, session):
    """Attack: save the head row, let more happen, delete the new entries, put the row back.

    The replayed row seals correctly, so a write cannot tell it from the real head (only an
    anchor can, see below); but the case filed in the cut tail has lost its filing entry."""
    filed(member_browser, subject="First matter")
    saved = head_row(session)
    filed(member_browser, subject="Second matter")
    put_back(session, saved)
    session.commit()

    result = audit_verify(app)
    assert result.exit_code != 0
    assert "1 cases have no filing entry: entries were removed" in result.output


def test_a_case_deleted_from_the_database_fails_verification(app, member_browser, session):
    """Attack: delete a filed case, with every row that names it, leaving the log alone.

    References may have gaps (a filing that failed after taking its number), so the missing
    number proves nothing; the case's filing entry, still in the chain, does."""
    filed(member_browser, subject="First matter")
    ref = filed(member_browser, subject="Second matter")
    case_id = case_of(session, ref).id
    session.expunge_all()
    for table in reversed(Base.metadata.sorted_tables):
        for fk in table.foreign_keys:
            if fk.column.table.name == "grievances" and table.name != "grievances":
                session.execute(sa.delete(table).where(fk.parent == case_id))
    session.execute(sa.delete(Grievance.__table__).where(Grievance.__table__.c.id == case_id))
    session.commit()

    result = audit_verify(app)
    assert result.exit_code != 0
    assert "1 cases filed are gone from the database: their rows were deleted" in result.output
    assert "no filing entry" not in result.output


def test_a_wiped_log_refuses_writes_and_fails_verification(app, member_browser, session, caplog):
    """Attack: delete every audit entry and the head row."""
    ref = filed(member_browser)
    session.execute(sa.delete(ENTRIES))
    session.execute(sa.delete(HEAD))
    session.commit()

    failed_closed(member_browser.get(f"/grievances/{ref}"))
    assert any("chain head is missing" in m for m in logged(caplog, TAMPERED))
    assert audit.count(session) == 0
    result = audit_verify(app)
    assert result.exit_code != 0
    assert "the log is empty while the database holds cases (it was wiped)" in result.output


def genesis_head() -> dict[str, object]:
    """The head row as the portal wrote it on the day it was installed (an old backup has it)."""
    root = keys.current().index_root
    return {"last_seq": 0, "last_hash": GENESIS, "scheme": 3, "mac": head_seal(root, 1, 0, GENESIS)}


def test_an_empty_log_beside_cases_fails_verification(app, member_browser, session):
    """Attack: delete every entry and put back the genesis head (sealed, as first written)."""
    filed(member_browser)
    put_back(session, genesis_head())
    session.commit()

    result = audit_verify(app)
    assert result.exit_code != 0
    assert "the log is empty while the database holds cases" in result.output


def test_a_wiped_log_under_the_genesis_head_stays_reported(app, member_browser, session, caplog):
    """Attack: as above, then the member keeps using the portal."""
    ref = filed(member_browser)
    put_back(session, genesis_head())
    session.commit()

    failed_closed(member_browser.get(f"/grievances/{ref}"))
    assert audit.count(session) == 0
    assert audit_verify(app).exit_code != 0


def take_anchor(app) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 0, result.output
    value = result.output.strip()
    assert ANCHOR_RE.match(value), value
    return value


def test_an_anchor_matches_an_intact_log(app, member_browser):
    """An operator's anchor proves an untouched log, also after more entries."""
    ref = filed(member_browser)
    value = take_anchor(app)
    assert member_browser.get(f"/grievances/{ref}").status_code == 200

    result = audit_verify(app, "--anchor", value)
    assert result.exit_code == 0, result.output
    entries = value.split(":")[2].split(".")[1]  # lane 1 is the only lane written to
    assert f"The {entries} entries up to the anchor taken" in result.output


def _wipe(session, saved) -> None:  # type: ignore[no-untyped-def]
    session.execute(sa.delete(ENTRIES))
    session.execute(sa.delete(HEAD))


def _edit_before_anchor(session, saved) -> None:  # type: ignore[no-untyped-def]
    session.execute(sa.update(ENTRIES).where(ENTRIES.c.seq == 1).values(detail='{"files":9}'))


@pytest.mark.parametrize(
    ("attack", "says"),
    [
        (_wipe, "named by the anchor is gone"),
        (put_back, "named by the anchor is gone"),
        (_edit_before_anchor, "TAMPERED entry 1: was edited after it was written"),
    ],
    ids=["wiped", "replayed-old-head", "edited-before-anchor"],
)
def test_an_anchor_catches_what_the_database_alone_cannot(
    app, member_browser, session, attack, says
):
    """Attacks on a log whose head the operator anchored off the host."""
    filed(member_browser, subject="First matter")
    saved = head_row(session)
    filed(member_browser, subject="Second matter")
    value = take_anchor(app)
    attack(session, saved)
    session.commit()

    result = audit_verify(app, "--anchor", value)
    assert result.exit_code != 0
    assert says in result.output
    assert "matches the anchor" not in result.output


def test_a_forged_anchor_is_refused(app, member_browser):
    """Attack: hand the operator an anchor for an older or made-up head."""
    filed(member_browser)
    value = take_anchor(app)
    prefix, scheme, heads, rest = value.split(":", 3)
    lane, seq, digest = heads.split(".")
    forged = ":".join([prefix, scheme, f"{lane}.{int(seq) - 1}.{digest}", rest])

    result = audit_verify(app, "--anchor", forged)
    assert result.exit_code != 0
    assert "the anchor's seal does not match: it was altered or made elsewhere" in result.output
    damaged = audit_verify(app, "--anchor", "audit-anchor:2:nonsense")
    assert damaged.exit_code != 0
    assert "not an audit anchor" in damaged.output


def test_the_anchor_reaches_syslog_over_udp(app, member_browser):
    """The anchor leaves the host: a syslog line arrives on a real UDP socket."""
    filed(member_browser)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        sink.settimeout(5)
        port = sink.getsockname()[1]
        result = app.test_cli_runner().invoke(
            args=["audit", "anchor", "--syslog", "--syslog-address", f"127.0.0.1:{port}"]
        )
        assert result.exit_code == 0, result.output
        line = sink.recv(4096).decode()
    value = result.output.strip()
    assert ANCHOR_RE.match(value)
    assert f"portal: audit anchor {value}" in line


# --- flags that decide what the member sees --------------------------------


def test_an_internal_event_flipped_public_is_not_shown(app, member_browser, session, caplog):
    """Attack: set case_events.public = true on an internal timeline event."""
    ref = filed(member_browser)
    secret = f"Internal: reviewer suspects the treasurer {uuid.uuid4().hex[:8]}"
    event = timeline.add_event(case_of(session, ref), "note", None, public=False, detail=secret)
    session.commit()
    page = member_browser.get(f"/grievances/{ref}")
    assert page.status_code == 200 and secret not in page.get_data(as_text=True)

    table = CaseEvent.__table__
    session.execute(sa.update(table).where(table.c.id == event.id).values(public=True))
    session.commit()

    html = failed_closed(member_browser.get(f"/grievances/{ref}"))
    assert secret not in html and "reviewer suspects" not in html
    assert len(logged(caplog, UNDECRYPTABLE)) == 1


def test_a_committee_message_flipped_to_the_member_fails_closed(
    app, member_browser, session, caplog
):
    """Attack: set messages.from_member = true on a message the committee wrote."""
    ref = filed(member_browser)
    staff = make_user(session, Role.REVIEWER)
    message = Message(grievance=case_of(session, ref), author=staff, from_member=False)
    message.body = "Please send the bank statement."
    session.add(message)
    session.commit()
    table = Message.__table__
    session.execute(sa.update(table).where(table.c.id == message.id).values(from_member=True))
    session.commit()

    html = failed_closed(member_browser.get(f"/grievances/{ref}"))
    assert "bank statement" not in html
    assert len(logged(caplog, UNDECRYPTABLE)) == 1


def test_a_committee_file_flipped_to_the_member_cannot_be_listed_or_downloaded(
    app, member_browser, session, caplog
):
    """Attack: set attachments.from_member = true on a file only the committee may see."""
    ref = filed(member_browser)
    staff = make_user(session, Role.REVIEWER)
    content = b"Committee working notes: " + uuid.uuid4().hex.encode() + b"\n"
    upload = evidence.Upload("committee-notes.txt", io.BytesIO(content))
    (att,) = evidence.store_uploads(
        session,
        app.extensions["portal.store"],
        case_of(session, ref),
        staff,
        [(upload, "text/plain")],
        from_member=False,
    )
    session.commit()
    url = f"/grievances/{ref}/evidence/{att.id}"
    assert member_browser.get(url).status_code == 404  # as it should be, before the attack

    table = Attachment.__table__
    session.execute(sa.update(table).where(table.c.id == att.id).values(from_member=True))
    session.commit()

    listing = failed_closed(member_browser.get(f"/grievances/{ref}"))
    assert "committee-notes" not in listing
    download = member_browser.get(url)
    failed_closed(download)
    assert content not in download.get_data()
    assert len(logged(caplog, UNDECRYPTABLE)) == 2


def test_a_withheld_identity_flipped_to_shown_does_not_name_the_member(member_browser, session):
    """Attack: set grievances.identity_hidden = false on a case filed without a name."""
    ref = filed(member_browser, category="ethics", hide_identity="y")
    assert cases.member_label(session, case_of(session, ref)) == cases.WITHHELD
    table = Grievance.__table__
    session.execute(sa.update(table).where(table.c.reference == ref).values(identity_hidden=False))
    session.commit()

    with pytest.raises(DecryptionError):
        cases.member_label(session, case_of(session, ref))


# --- the member link -------------------------------------------------------


def test_a_case_pointed_at_another_member_does_not_open_for_them(
    app, member_browser, member, session, caplog
):
    """Attack: copy member B's member_digest onto member A's case."""
    a_ref = filed(member_browser, subject="Fiona's private matter")
    make_user(session, Role.MEMBER, email="bruno@example.org", name="Bruno Other")
    session.commit()
    bruno = Browser(app.test_client())
    assert bruno.sign_in("bruno@example.org", PASSWORD).status_code == 303
    b_ref = filed(bruno, subject="Bruno's own matter")
    table = Grievance.__table__
    digest = session.scalar(sa.select(table.c.member_digest).where(table.c.reference == b_ref))
    session.execute(sa.update(table).where(table.c.reference == a_ref).values(member_digest=digest))
    session.commit()

    # Fiona's case now sorts into Bruno's list, but its data key is bound to Fiona's digest.
    for url in (f"/grievances/{a_ref}", "/my/grievances"):
        html = failed_closed(bruno.get(url))
        assert "private matter" not in html and "My card was charged twice" not in html
    assert len(logged(caplog, UNDECRYPTABLE)) == 2
    own = bruno.get(f"/grievances/{b_ref}")
    assert own.status_code == 200 and "Bruno&#39;s own matter" in own.get_data(as_text=True)
    assert member_browser.get(f"/grievances/{a_ref}").status_code == 404


def test_a_dump_does_not_join_a_withheld_case_to_its_member(app, member_browser, member, session):
    """Attack: read every row that references a withheld case, looking for the member."""
    ref = filed(member_browser, category="ethics", hide_identity="y")
    url = f"/grievances/{ref}"
    sent = member_browser.submit(
        f"{url}/messages",
        {"body": "More detail.", "evidence": [(io.BytesIO(PDF), "more.pdf")]},
        form_url=url,
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303
    case = case_of(session, ref)
    rows: list[tuple[str, dict[str, object]]] = []
    for table in Base.metadata.sorted_tables:
        if table.name == "grievances":
            where = table.c.id == case.id
        elif table.name == "audit_entries":
            where = table.c.object_id == str(case.id)
        elif "grievance_id" in table.c:
            where = table.c.grievance_id == case.id
        else:
            continue
        rows += [
            (table.name, dict(r._mapping)) for r in session.execute(sa.select(table).where(where))
        ]
    found = {name for name, _ in rows}
    assert {"grievances", "messages", "attachments", "case_events", "audit_entries"} <= found
    # Not vacuous: the log does name the member elsewhere (signing in), and users holds the email.
    assert member.id in session.scalars(sa.select(ENTRIES.c.actor_id)).all()
    assert session.scalar(sa.select(User.email).where(User.id == member.id)) == member.email

    user_columns = {"recorded_by_id", "assignee_id", "actor_id", "author_id", "uploaded_by_id"}
    needles = [member.full_name.encode(), member.email.encode(), b"Fiona"]
    for name, row in rows:
        for column, value in row.items():
            if column in user_columns:
                assert value != member.id, f"{name}.{column} names the member"
            raw = value if isinstance(value, bytes) else str(value).encode()
            assert not any(n in raw for n in needles), f"{name}.{column} holds the member"
