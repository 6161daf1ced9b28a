"""Evidence files: encrypted on disk, placed only when the database commits."""

from __future__ import annotations

import io
import os
import secrets

import pytest

from portal.db import database
from portal.domain.roles import Role
from portal.models.grievances import Grievance
from portal.models.users import User
from portal.security.errors import DecryptionError
from portal.security.filecrypt import CHUNK_SIZE
from tests.factories import make_committee, make_user
from tests.unit.store.conftest import attach, new_case, read_file


@pytest.fixture
def member(session):  # type: ignore[no-untyped-def]
    return make_user(session, Role.MEMBER)


@pytest.fixture
def case(session, member):  # type: ignore[no-untyped-def]
    return new_case(session, member, make_committee(session))


def marked_bytes(marker: bytes, size: int) -> bytes:
    """`size` bytes of plaintext with `marker` all through it."""
    return (marker + b" ") * (size // (len(marker) + 1)) + b"end"


def test_a_committed_file_reads_back_equal(session, store, case, member):
    data = marked_bytes(b"EVIDENCE-" + secrets.token_hex(8).encode(), 2 * CHUNK_SIZE + 123)
    att = attach(session, store, case, member, data)
    session.commit()

    assert store.path_of(att.storage_id).is_file()
    assert not (store.incoming / f"{att.storage_id}.part").exists()
    assert read_file(store, att) == data
    assert att.size == len(data)
    # No plaintext fingerprint is kept beside the file (see the canary test).
    assert not hasattr(att, "sha256")


def test_a_file_is_on_disk_before_the_commit_that_names_it(
    session, store, case, member, monkeypatch
):
    """A power cut just after the commit must not leave an attachment with an empty file:
    the part's data and its name in incoming/ are flushed to disk (fsync) before it."""
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    att = attach(session, store, case, member, b"receipt")  # written, not yet committed
    part = store.incoming / f"{att.storage_id}.part"
    assert str(part.resolve()) in synced and str(store.incoming.resolve()) in synced
    session.commit()
    assert read_file(store, att) == b"receipt"


def test_an_empty_file_reads_back_empty(session, store, case, member):
    att = attach(session, store, case, member, b"")
    session.commit()

    assert read_file(store, att) == b""
    assert att.size == 0


def test_the_stored_bytes_hold_no_plaintext(session, store, case, member):
    marker = b"PLAINTEXT-MARKER-" + secrets.token_hex(8).encode()
    data = marked_bytes(marker, CHUNK_SIZE + 500)
    att = attach(session, store, case, member, data, filename="contract.txt")
    session.commit()

    stored = store.path_of(att.storage_id).read_bytes()
    assert stored.startswith(b"GRVF")
    assert len(stored) > len(data)  # header and tags: the scan reads the whole file
    assert marker not in stored
    assert marker[:8] not in stored  # not even a prefix
    assert b"contract" not in stored
    assert att.storage_id.encode() not in stored


def test_a_rolled_back_transaction_leaves_no_file(session, store, case, member):
    session.commit()
    att = attach(session, store, case, member, b"written, then abandoned")
    storage_id = att.storage_id
    part = store.incoming / f"{storage_id}.part"
    assert part.is_file()  # encrypted into incoming/ while the request runs

    session.rollback()

    assert not part.exists()
    assert not store.path_of(storage_id).exists()
    assert storage_id not in set(store.stored_ids())
    session.commit()  # a later commit does not bring it back
    assert not store.path_of(storage_id).exists()


def test_a_session_closed_without_commit_leaves_no_file(app, store, case, member):
    with database(app).new_session() as other:
        mine = other.get(Grievance, case.id)
        att = attach(other, store, mine, other.get(User, member.id), b"never committed")
        storage_id = att.storage_id

    assert not (store.incoming / f"{storage_id}.part").exists()
    assert not store.path_of(storage_id).exists()


def test_sweep_removes_orphans_and_keeps_referenced_files(runner, session, store, case, member):
    kept = attach(session, store, case, member, b"the real evidence")
    orphan = store.new_id()
    store.write(session, orphan, case.case_key(), b"no row names this", io.BytesIO(b"orphan"))
    session.commit()
    assert store.path_of(orphan).is_file()

    result = runner.invoke(args=["files", "sweep"])

    assert result.exit_code == 0, result.output
    assert f"orphan {orphan}" in result.output
    assert f"orphan {kept.storage_id}" not in result.output
    assert not store.path_of(orphan).exists()
    assert read_file(store, kept) == b"the real evidence"


def test_sweep_dry_run_removes_nothing(runner, session, store, case):
    orphan = store.new_id()
    store.write(session, orphan, case.case_key(), b"aad", io.BytesIO(b"orphan"))
    session.commit()

    result = runner.invoke(args=["files", "sweep", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert f"orphan {orphan}" in result.output
    assert "would remove" in result.output
    assert store.path_of(orphan).is_file()


def test_a_file_swapped_between_attachments_fails_to_decrypt(session, store, case, member):
    first = attach(session, store, case, member, b"first file of the case")
    second = attach(session, store, case, member, b"second file of the case")
    session.commit()
    one, two = store.path_of(first.storage_id), store.path_of(second.storage_id)
    swap = one.with_name("swap")
    os.replace(one, swap)
    os.replace(two, one)
    os.replace(swap, two)

    # Same case, same data key: only the attachment id in the aad tells them apart.
    with pytest.raises(DecryptionError):
        read_file(store, first)
    with pytest.raises(DecryptionError):
        read_file(store, second)
    os.replace(one, swap)
    os.replace(two, one)
    os.replace(swap, two)
    assert read_file(store, first) == b"first file of the case"


def test_a_truncated_file_fails_to_decrypt(session, store, case, member):
    data = marked_bytes(b"chunky", 2 * CHUNK_SIZE)
    att = attach(session, store, case, member, data)
    session.commit()
    path = store.path_of(att.storage_id)
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 1)

    with pytest.raises(DecryptionError):
        read_file(store, att)
