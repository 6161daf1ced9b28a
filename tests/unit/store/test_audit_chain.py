"""The audit log is a keyed hash chain: any edit, gap, reordering or cut shows."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.audit import AuditEntry, AuditHead
from portal.security import keys
from portal.security.audit_seal import entry_hash, parse_anchor
from portal.security.errors import AuditChainBroken
from portal.services import audit, audit_verify
from tests.factories import make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ENTRIES = 5
TABLE = AuditEntry.__table__
CONTENT = ["at", "actor_id", "action", "object_type", "object_id", "detail", "prev_hash", "hash"]


@pytest.fixture
def chain(session) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    actor = make_user(session, Role.REVIEWER)
    entries = [
        audit.record(
            session,
            actor if n % 2 else None,
            "case.view" if n % 2 else "case.status",
            "grievance",
            f"case-{n}",
            {"n": n, "status": "in_review"},
            now=T0 + timedelta(minutes=n),
        )
        for n in range(ENTRIES)
    ]
    session.commit()
    return entries


def problems(session) -> list[audit_verify.Problem]:  # type: ignore[no-untyped-def]
    return [p for p in audit_verify.verify(session) if isinstance(p, audit_verify.Problem)]


def row(session, entry_id: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return dict(session.execute(sa.select(TABLE).where(TABLE.c.seq == entry_id)).one()._mapping)


def test_entries_are_numbered_and_linked(chain):
    assert [e.seq for e in chain] == list(range(1, ENTRIES + 1))
    assert chain[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    assert len({e.hash for e in chain}) == ENTRIES


def test_an_intact_chain_yields_only_ids(session, chain):
    assert list(audit_verify.verify(session)) == list(range(1, ENTRIES + 1))
    assert list(audit_verify.verify(session, batch=2)) == list(range(1, ENTRIES + 1))


def test_an_empty_log_verifies(session):
    assert list(audit_verify.verify(session)) == []


def test_an_edited_detail_is_found(session, chain):
    session.execute(
        sa.update(TABLE).where(TABLE.c.seq == 3).values(detail='{"n":3,"status":"resolved"}')
    )

    found = problems(session)

    assert found == [audit_verify.Problem(3, "was edited after it was written")]
    assert "edited" in str(found[0])


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_id", 999),
        ("action", "case.export"),
        ("object_id", "case-other"),
        ("at", T0 - timedelta(days=1)),
    ],
)
def test_any_edited_column_is_found(session, chain, column, value):
    session.execute(sa.update(TABLE).where(TABLE.c.seq == 2).values({column: value}))

    assert problems(session) == [audit_verify.Problem(2, "was edited after it was written")]


def test_an_edit_with_a_recomputed_unkeyed_hash_is_found(session, chain):
    # Whoever edits the row cannot recompute the hash without the chain key.
    forged = hashlib.sha256(b"anything").hexdigest()
    session.execute(sa.update(TABLE).where(TABLE.c.seq == 2).values(detail="{}", hash=forged))

    found = problems(session)

    assert found[0] == audit_verify.Problem(2, "was edited after it was written")


def test_a_deleted_middle_entry_is_named_as_a_gap(session, chain):
    session.execute(sa.delete(TABLE).where(TABLE.c.seq == 3))

    results = list(audit_verify.verify(session))

    assert results[:2] == [1, 2]
    gap = results[2]
    assert isinstance(gap, audit_verify.Problem)
    assert gap.entry_id == 4
    assert gap.reason == "entries 3 to 3 are missing"
    assert str(gap) == "entry 4: entries 3 to 3 are missing"


def test_swapped_entries_are_found(session, chain):
    second, third = row(session, 2), row(session, 3)
    session.execute(sa.update(TABLE).where(TABLE.c.seq == 2).values({c: third[c] for c in CONTENT}))
    session.execute(
        sa.update(TABLE).where(TABLE.c.seq == 3).values({c: second[c] for c in CONTENT})
    )

    found = problems(session)

    assert found
    assert found[0].entry_id == 2
    assert "reordered" in found[0].reason


def test_swapped_contents_under_the_original_hashes_are_found(session, chain):
    # The rows keep their place in the chain, but carry each other's story.
    movable = ["at", "actor_id", "action", "object_type", "object_id", "detail"]
    second, third = row(session, 2), row(session, 3)
    session.execute(sa.update(TABLE).where(TABLE.c.seq == 2).values({c: third[c] for c in movable}))
    session.execute(
        sa.update(TABLE).where(TABLE.c.seq == 3).values({c: second[c] for c in movable})
    )

    found = problems(session)

    assert [p.entry_id for p in found] == [2, 3]
    assert all("edited" in p.reason for p in found)


def test_a_removed_newest_entry_is_found(session, chain):
    session.execute(sa.delete(TABLE).where(TABLE.c.seq == ENTRIES))

    results = list(audit_verify.verify(session))

    assert results[:-1] == list(range(1, ENTRIES))
    assert results[-1] == audit_verify.Problem(
        None, f"the newest entries after {ENTRIES - 1} were removed"
    )


def test_recording_continues_the_chain_after_verification(session, chain):
    assert not problems(session)
    entry = audit.record(session, None, "case.view", "grievance", "case-9", {"n": 9})

    assert entry.seq == ENTRIES + 1
    assert entry.prev_hash == chain[-1].hash
    assert list(audit_verify.verify(session)) == list(range(1, ENTRIES + 2))


def test_cli_verify_passes_an_intact_chain(runner, chain):
    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 0, result.output
    assert f"{ENTRIES} entries verified" in result.output
    assert "TAMPERED" not in result.output


def test_cli_verify_names_the_tampered_entry(runner, session, chain):
    session.execute(sa.update(TABLE).where(TABLE.c.seq == 4).values(object_id="case-other"))
    session.commit()

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert "TAMPERED entry 4: was edited after it was written" in result.output
    assert "entries verified" not in result.output


def test_cli_verify_reports_a_gap(runner, session, chain):
    session.execute(sa.delete(TABLE).where(TABLE.c.seq == 2))
    session.commit()

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert "TAMPERED entry 3: entries 2 to 2 are missing" in result.output


def test_the_chain_is_keyed_by_the_index_root(session, chain):
    material = keys.current()
    other = keys.KeyMaterial(material.ring, secrets.token_bytes(32), material.secret_key)
    keys.install(other)

    found = problems(session)

    # Under another key no entry's hash is reproducible, from the first on, nor the head's seal.
    assert [p.entry_id for p in found] == [*range(1, ENTRIES + 1), *[None] * audit.LANES]
    assert all("edited" in p.reason for p in found[:ENTRIES])
    assert "chain head was altered" in found[ENTRIES].reason
    assert all("was altered" in p.reason for p in found[ENTRIES:])

    keys.install(material)
    assert not problems(session)


def test_an_entry_hashed_under_another_key_differs(session):
    first = audit.record(session, None, "case.view", "grievance", "c", {}, now=T0)
    assert entry_hash(keys.current().index_root, first.prev_hash, first) == first.hash
    assert entry_hash(secrets.token_bytes(32), first.prev_hash, first) != first.hash


def test_a_different_index_key_cannot_extend_the_chain(session):
    """An app started with a wrong index key refuses to append rather than fork the chain."""
    audit.record(session, None, "case.view", "grievance", "c", {}, now=T0)
    material = keys.current()
    keys.install(replace(material, index_root=secrets.token_bytes(32)))
    try:
        with pytest.raises(AuditChainBroken, match="seal does not match"):
            audit.record(session, None, "case.view", "grievance", "c", {}, now=T0)
    finally:
        keys.install(material)


def test_a_cut_tail_with_the_head_deleted_too_is_found(session, chain):
    session.execute(sa.delete(TABLE).where(TABLE.c.id == chain[-1].id))
    session.execute(sa.delete(AuditHead.__table__))

    assert problems(session) == [
        audit_verify.Problem(
            None, "the chain head is missing (the newest entries may have been removed)"
        )
    ]


def test_a_cut_tail_with_the_head_moved_back_is_found(session, chain):
    """Deleting the newest entries and pointing the head at the new last one is not enough."""
    last_kept = chain[ENTRIES - 3]
    session.execute(sa.delete(TABLE).where(TABLE.c.id > last_kept.id))
    session.execute(
        sa.update(AuditHead.__table__)
        .where(AuditHead.id == 1)
        .values(last_seq=last_kept.seq, last_hash=last_kept.hash)
    )

    assert problems(session) == [
        audit_verify.Problem(
            None, "the chain head was altered (the newest entries may have been removed)"
        )
    ]


def test_an_anchor_taken_before_lanes_still_proves_the_log(session, chain):
    """An operator's anchor of scheme 2 (one chain, `audit-anchor:2:<id>:<hash>:…`)."""
    import hmac

    from portal.security.envelope import encode_parts
    from portal.security.keys import derive_key

    root, last = keys.current().index_root, chain[2]
    at = "2026-03-02T09:30:00Z"
    message = encode_parts("audit-anchor", "2", str(last.seq), last.hash, at)
    mac = hmac.new(derive_key(root, "audit-anchor"), message, hashlib.sha256).hexdigest()
    old = parse_anchor(root, f"audit-anchor:2:{last.seq}:{last.hash}:{at}:{mac}")

    assert not [
        p for p in audit_verify.verify(session, anchor=old) if isinstance(p, audit_verify.Problem)
    ]
    session.execute(sa.update(TABLE).where(TABLE.c.seq == 2).values(detail="{}"))
    assert audit_verify.Problem(2, "was edited after it was written") in problems(session)


def test_entries_of_one_transaction_follow_each_other_and_a_savepoint_undone_leaves_no_gap(
    session,
):
    """The second entry of a transaction takes the lane its first locked, without asking
    again; an entry undone with its savepoint is not counted on by the next."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = session.get_bind().engine
    first = audit.record(session, None, "case.status", "grievance", "a", {}, now=T0)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        second = audit.record(session, None, "case.status", "grievance", "a", {}, now=T0)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert (second.lane, second.seq, second.prev_hash) == (first.lane, first.seq + 1, first.hash)
    assert not [s for s in statements if "FROM audit_head" in s]  # the head was not asked again

    undone = session.begin_nested()
    audit.record(session, None, "case.status", "grievance", "b", {}, now=T0)
    undone.rollback()
    third = audit.record(session, None, "case.status", "grievance", "c", {}, now=T0)
    assert (third.seq, third.prev_hash) == (second.seq + 1, second.hash)
    session.commit()
    assert not problems(session)


def _newest(session) -> dict[str, object]:  # type: ignore[no-untyped-def]
    newest = sa.select(TABLE).order_by(TABLE.c.lane, TABLE.c.seq.desc()).limit(1)
    return dict(session.execute(newest).one()._mapping)


def test_an_entry_planted_beyond_the_head_stops_the_next_write(session, chain):
    # A database writer adds an entry after the lane's newest: the next append is refused
    # (on PostgreSQL the check rides on the append's own statement) and adds nothing.
    newest = _newest(session)
    planted = {k: v for k, v in newest.items() if k != "id"} | {
        "seq": newest["seq"] + 1,
        "prev_hash": newest["hash"],
        "hash": "0" * 64,
    }
    session.execute(sa.insert(TABLE).values(planted))
    session.commit()
    before = audit.count(session)

    with pytest.raises(AuditChainBroken, match="exist beyond the head"):
        audit.record(session, None, "case.view", "grievance", "case-9", {"n": 9})
    session.rollback()

    assert audit.count(session) == before
    head = session.get(AuditHead, newest["lane"])
    assert head is not None and head.last_seq == newest["seq"]


def test_a_rewritten_newest_entry_stops_the_next_write(session, chain):
    newest = _newest(session)
    session.execute(sa.update(TABLE).where(TABLE.c.id == newest["id"]).values(hash="f" * 64))
    session.commit()
    before = audit.count(session)

    with pytest.raises(AuditChainBroken, match="missing or was rewritten"):
        audit.record(session, None, "case.view", "grievance", "case-9", {"n": 9})
    session.rollback()

    assert audit.count(session) == before
