"""`flask keys status|rotate|retire|verify` over a real case store.

Rotation and retirement save the key ring into the app's instance folder, so
those tests run on `own_app` (its own keys, evidence folder and committed
database); status and verify only read, and run in the shared rolled-back app.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.db import database
from portal.domain.roles import Role
from portal.models.grievances import Grievance
from portal.security import keys
from portal.services import keychecks
from portal.services import keyring as rotation
from portal.storage import EvidenceStore
from tests.factories import make_committee, make_user
from tests.unit.store.conftest import attach, flip, new_case

SUBJECTS = [f"Case number {n}" for n in range(5)]


def seed(session, count: int = len(SUBJECTS)) -> list[Grievance]:  # type: ignore[no-untyped-def]
    member = make_user(session, Role.MEMBER)
    committee = make_committee(session)
    return [
        new_case(session, member, committee, subject=subject, narrative=f"Narrative of {subject}")
        for subject in SUBJECTS[:count]
    ]


def key_ids(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return dict(rotation.usage(session))


def assert_all_decrypt(app: Flask, count: int = len(SUBJECTS)) -> None:
    """Every case, loaded afresh, unwraps its data key with the installed ring."""
    with database(app).new_session() as s:
        cases = s.scalars(sa.select(Grievance)).all()
        assert sorted(c.subject for c in cases) == SUBJECTS[:count]
        assert all(c.narrative == f"Narrative of {c.subject}" for c in cases)


@pytest.fixture
def seeded(own_app: Flask) -> Flask:
    with database(own_app).new_session() as s:
        seed(s)
        s.commit()
    return own_app


def ring_on_disk(app: Flask) -> keys.KeyRing:
    path = app.extensions["portal.settings"].keys_dir / keys.KEK_FILE
    return keys.KeyRing.from_json(path.read_text())


def start_rotation_by_hand(app: Flask) -> keys.KeyRing:
    """What `keys rotate` does before it rewraps: a new active key, saved and installed."""
    material = keys.current()
    ring = material.ring.with_new_active_key()
    keys.save_ring(app.extensions["portal.settings"].keys_dir, ring)
    keys.install(keys.KeyMaterial(ring, material.index_root, material.secret_key))
    with database(app).new_session() as s:  # as `keys rotate` does before saving
        keychecks.register(s, keys.current())
        s.commit()
    return ring


def test_status_lists_the_active_key_and_its_count(runner, session):
    seed(session, 3)
    session.commit()

    result = runner.invoke(args=["keys", "status"])

    assert result.exit_code == 0, result.output
    k1 = keys.current().ring.active_id
    assert re.search(rf"^{k1}\s+active\s+wraps 3 case keys$", result.output, re.M), result.output


def test_rotate_creates_a_new_key_and_rewraps_every_case(seeded):
    k1 = keys.current().ring.active_id
    result = seeded.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "2"])

    assert result.exit_code == 0, result.output
    k2 = keys.current().ring.active_id
    assert k2 != k1
    assert f"new active key {k2}" in result.output
    assert f"done: every case key is wrapped by {k2}" in result.output
    assert ring_on_disk(seeded).active_id == k2
    assert set(ring_on_disk(seeded).keys) == {k1, k2}
    with database(seeded).new_session() as s:
        assert key_ids(s) == {k2: len(SUBJECTS)}
    assert_all_decrypt(seeded)

    status = seeded.test_cli_runner().invoke(args=["keys", "status"])
    assert re.search(rf"^{k1}\s+wraps 0 case keys$", status.output, re.M), status.output
    assert re.search(rf"^{k2}\s+active\s+wraps 5 case keys$", status.output, re.M), status.output


def test_rotate_leaves_the_data_keys_and_versions_alone(seeded):
    with database(seeded).new_session() as s:
        before = {
            c.id: (c.case_key(), c.version, bytes(c.subject_ct))
            for c in s.scalars(sa.select(Grievance))
        }

    assert seeded.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0

    with database(seeded).new_session() as s:
        after = {
            c.id: (c.case_key(), c.version, bytes(c.subject_ct))
            for c in s.scalars(sa.select(Grievance))
        }
    # Only the wrapping changed: the field ciphertexts stay, no open form goes stale.
    assert after == before


def test_an_interrupted_rotation_resumes_and_then_the_old_key_retires(seeded):
    k1 = keys.current().ring.active_id
    ring = start_rotation_by_hand(seeded)
    k2 = ring.active_id
    with database(seeded).new_session() as s:
        assert rotation.rewrap_batch(s, ring, rotation.RewrapProgress(), size=2) == 2
        s.commit()
        assert key_ids(s) == {k1: 3, k2: 2}
    assert_all_decrypt(seeded)  # half-way, both keys are in the ring
    cli = seeded.test_cli_runner()

    refused = cli.invoke(args=["keys", "retire", k1])
    assert refused.exit_code != 0
    assert f"{k1} still wraps 3 data keys" in refused.output

    resumed = cli.invoke(args=["keys", "rotate"])
    assert resumed.exit_code == 0, resumed.output
    assert "resuming: 3 case keys still wrapped by older keys" in resumed.output
    assert "new active key" not in resumed.output
    assert f"done: every case key is wrapped by {k2}" in resumed.output
    with database(seeded).new_session() as s:
        assert key_ids(s) == {k2: 5}
    assert_all_decrypt(seeded)

    retired = cli.invoke(args=["keys", "retire", k1])
    assert retired.exit_code == 0, retired.output
    assert f"retired {k1}" in retired.output
    assert set(ring_on_disk(seeded).keys) == {k2}
    assert set(keys.current().ring.keys) == {k2}
    assert_all_decrypt(seeded)  # without the old key at all
    assert cli.invoke(args=["keys", "verify"]).exit_code == 0


def test_retire_refuses_the_active_key(seeded):
    k1 = keys.current().ring.active_id
    result = seeded.test_cli_runner().invoke(args=["keys", "retire", k1])

    assert result.exit_code != 0
    assert f"{k1} is the active key; rotate first" in result.output
    assert set(ring_on_disk(seeded).keys) == {k1}


def test_retire_refuses_a_key_still_in_use(seeded):
    k1 = keys.current().ring.active_id
    k2 = start_rotation_by_hand(seeded).active_id  # no case rewrapped yet

    result = seeded.test_cli_runner().invoke(args=["keys", "retire", k1])

    assert result.exit_code != 0
    assert f"{k1} still wraps 5 data keys; finish `flask keys rotate` first" in result.output
    assert set(ring_on_disk(seeded).keys) == {k1, k2}
    assert_all_decrypt(seeded)


def test_retire_refuses_an_unknown_key(seeded):
    result = seeded.test_cli_runner().invoke(args=["keys", "retire", "k9"])

    assert result.exit_code != 0
    assert "there is no key 'k9' in the ring" in result.output


@pytest.fixture
def store_with_files(app, session):  # type: ignore[no-untyped-def]
    cases = seed(session, 3)
    store = EvidenceStore(app.extensions["portal.settings"].files_dir)
    staff = make_user(session, Role.REVIEWER)
    files = [attach(session, store, c, staff, f"evidence {c.subject}".encode()) for c in cases]
    session.commit()
    return cases, files, store


def test_verify_reports_counts_on_good_data(runner, store_with_files):
    result = runner.invoke(args=["keys", "verify"])

    assert result.exit_code == 0, result.output
    # 3 cases x subject, narrative and member link, 3 files x filename and content type.
    assert "15 encrypted values and 3 files decrypted" in result.output
    assert "all encrypted data is readable" in result.output


def test_verify_names_a_row_with_a_corrupted_ciphertext(runner, session, store_with_files):
    cases, _, _ = store_with_files
    table = Grievance.__table__
    victim = cases[1]
    stored = session.scalar(sa.select(table.c.narrative_ct).where(table.c.id == victim.id))
    session.execute(
        sa.update(table).where(table.c.id == victim.id).values(narrative_ct=flip(bytes(stored), 20))
    )
    session.commit()

    result = runner.invoke(args=["keys", "verify"])

    assert result.exit_code != 0
    assert f"FAILED grievances {victim.id}: DecryptionError" in result.output
    assert result.output.count("FAILED") == 1
    assert "all encrypted data is readable" not in result.output


def test_verify_names_an_attachment_whose_file_was_truncated(runner, store_with_files):
    _, files, store = store_with_files
    victim = files[2]
    path = store.path_of(victim.storage_id)
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 5)

    result = runner.invoke(args=["keys", "verify"])

    assert result.exit_code != 0
    assert f"FAILED attachments {victim.id}: DecryptionError" in result.output
    assert result.output.count("FAILED") == 1


def test_verify_names_an_attachment_whose_file_is_missing(runner, store_with_files):
    _, files, store = store_with_files
    store.remove(files[0].storage_id)

    result = runner.invoke(args=["keys", "verify"])

    assert result.exit_code != 0
    assert f"FAILED attachments {files[0].id}: FileNotFoundError" in result.output


def test_a_running_worker_picks_up_a_rotation_from_another_process(seeded):
    before = keys.current()
    result = seeded.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    # The web worker still holds the old ring, as if the CLI ran in another process.
    keys.install(before)
    seeded.test_client().get("/")
    assert keys.current().ring.active_id != before.ring.active_id
    assert keys.current().ring.active_id == ring_on_disk(seeded).active_id
    assert_all_decrypt(seeded)
