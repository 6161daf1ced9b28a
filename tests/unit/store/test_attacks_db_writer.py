"""Attacks by someone who holds the database but not the key files, seen by the operator.

Key files lost and recreated, replaced by well-formed wrong keys or left readable
must stop the portal with an instruction to restore them; flags flipped in the
database must show up in `flask keys verify`; a damaged row must not block a
rotation. Tests that start a second app or save a ring use `own_app`.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import StartupError, create_app
from portal.bootstrap import create_bootstrap_app
from portal.config import Settings
from portal.db import database
from portal.domain.roles import Role
from portal.models.grievances import Attachment, CaseEvent, Grievance, Message
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.security.errors import KeyConfigError
from portal.storage import EvidenceStore
from tests.conftest import make_settings
from tests.factories import make_committee, make_user
from tests.unit.store.conftest import attach, flip, new_case

SUBJECTS = ["First case", "Second case", "Third case"]


def seed(app: Flask) -> list[uuid.UUID]:
    """Committed cases, so the database holds data sealed by the app's keys."""
    with database(app).new_session() as s:
        member = make_user(s, Role.MEMBER)
        committee = make_committee(s)
        made = [new_case(s, member, committee, subject=subject) for subject in SUBJECTS]
        s.commit()
        return [c.id for c in made]


@pytest.fixture
def holding_data(own_app: Flask) -> Flask:
    seed(own_app)
    return own_app


def second_instance(app: Flask, tmp_path: Path) -> Path:
    """Another instance folder holding a copy of the app's key files (modes kept)."""
    instance = tmp_path / "second"
    shutil.copytree(app.extensions["portal.settings"].keys_dir, instance / "keys")
    return instance


def refused_start(app: Flask, instance: Path) -> str:
    """Start a second app on the same database with the keys in `instance`; its message."""
    url = app.extensions["portal.settings"].database_url
    material = keys.current()
    try:
        with pytest.raises(StartupError) as info:
            create_app(make_settings(instance, url))
    finally:
        keys.install(material)  # a refused start must not leave its keys installed here
    return str(info.value)


def says_restore_not_init(message: str) -> None:
    assert "restore the key files" in message and "from the backup" in message, message
    # Naming init only to warn against it is fine; telling the operator to run it is not.
    assert "keys init" not in message.replace("do not run `flask keys init`", ""), message


# --- keys fail closed ------------------------------------------------------


def test_a_recreated_key_ring_is_refused_at_start(holding_data, tmp_path):
    """Attack or accident: kek.json is lost and `keys init` makes a new one (new random id)."""
    instance = second_instance(holding_data, tmp_path)
    old_id = keys.current().ring.active_id
    (instance / "keys" / keys.KEK_FILE).unlink()
    keys.init_keys(instance / "keys")
    new_ring = keys.load_keys(instance / "keys", {}).ring
    assert new_ring.active_id != old_id

    message = refused_start(holding_data, instance)

    assert f"the key ring lacks {old_id}, which seal cases in this database" in message
    says_restore_not_init(message)


def test_a_wrong_key_under_the_right_id_is_refused_at_start(holding_data, tmp_path):
    """Attack: a well-formed kek.json with the same key id but other key bytes."""
    instance = second_instance(holding_data, tmp_path)
    kid = keys.current().ring.active_id
    keys.save_ring(instance / "keys", keys.KeyRing({kid: secrets.token_bytes(32)}, kid))

    message = refused_start(holding_data, instance)

    assert f"key {kid} in the key ring is not the key {kid} this database was sealed" in message
    says_restore_not_init(message)


def test_a_different_index_key_is_refused_at_start(holding_data, tmp_path):
    """Attack or accident: index.key is replaced by a new random one."""
    instance = second_instance(holding_data, tmp_path)
    (instance / "keys" / keys.INDEX_FILE).unlink()
    assert keys.init_keys(instance / "keys") == [instance / "keys" / keys.INDEX_FILE]

    message = refused_start(holding_data, instance)

    assert "the index key is not the one this database was set up with" in message
    says_restore_not_init(message)


def test_a_missing_key_file_is_refused_at_start(holding_data, tmp_path):
    """A missing index.key stops the start and tells the operator to restore it."""
    instance = second_instance(holding_data, tmp_path)
    (instance / "keys" / keys.INDEX_FILE).unlink()

    message = refused_start(holding_data, instance)

    assert "index.key is missing" in message
    assert "restore the key files from the backup" in message


def test_a_missing_key_file_beside_data_does_not_suggest_init(holding_data, tmp_path):
    """Issue 9: the message must say to restore the key files, never to run init."""
    instance = second_instance(holding_data, tmp_path)
    (instance / "keys" / keys.INDEX_FILE).unlink()

    says_restore_not_init(refused_start(holding_data, instance))


def test_keys_init_refuses_to_replace_a_lost_key_while_data_exists(holding_data):
    """Accident: `make run` runs `flask keys init` after index.key was lost."""
    settings = holding_data.extensions["portal.settings"]
    keys_dir = settings.keys_dir
    (keys_dir / keys.INDEX_FILE).unlink()
    before = {p.name: p.read_bytes() for p in keys_dir.iterdir()}

    result = create_bootstrap_app(settings).test_cli_runner().invoke(args=["keys", "init"])

    assert result.exit_code != 0
    assert "index.key missing from" in result.output
    assert "Restore the key files from the backup" in result.output
    assert not (keys_dir / keys.INDEX_FILE).exists()
    assert {p.name: p.read_bytes() for p in keys_dir.iterdir()} == before


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604], ids=oct)
def test_a_key_file_others_can_read_is_refused_at_load(tmp_path, mode):
    """A key file left readable by group or others is no longer a secret."""
    keys.init_keys(tmp_path / "keys")
    path = tmp_path / "keys" / keys.KEK_FILE
    path.chmod(mode)

    with pytest.raises(KeyConfigError, match=re.escape(f"run `chmod 600 {path}`")) as info:
        keys.load_keys(tmp_path / "keys", {})
    assert f"(mode {mode:o})" in str(info.value)


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_a_key_file_owned_by_another_user_is_refused_at_load(tmp_path):
    """Attack: a key file planted (or replaceable) by another account."""
    keys.init_keys(tmp_path / "keys")
    os.chown(tmp_path / "keys" / keys.INDEX_FILE, 4242, -1)

    with pytest.raises(KeyConfigError, match="belongs to another user"):
        keys.load_keys(tmp_path / "keys", {})


# --- flipped flags, as the operator sees them ------------------------------


def _flags_case(session, store: EvidenceStore):  # type: ignore[no-untyped-def]
    member = make_user(session, Role.MEMBER)
    staff = make_user(session, Role.REVIEWER)
    case = new_case(session, member, make_committee(session))
    event = CaseEvent(grievance=case, kind="note", public=False)
    event.detail = "Internal: the treasurer is a friend of the respondent"
    message = Message(grievance=case, author=staff, from_member=False)
    message.body = "Committee to member: please send the statement"
    session.add_all([event, message])
    att = attach(session, store, case, member, b"the member's own receipt")
    session.commit()
    return {
        "grievances": (case.id, "identity_hidden", True),
        "case_events": (event.id, "public", True),
        "messages": (message.id, "from_member", True),
        "attachments": (att.id, "from_member", False),
    }


@pytest.mark.parametrize("table", ["grievances", "case_events", "messages", "attachments"])
def test_keys_verify_names_a_row_whose_visibility_flag_was_flipped(runner, session, store, table):
    """Attack: flip one flag that decides what the member or committee may see."""
    row_id, column, value = _flags_case(session, store)[table]
    t = {m.__tablename__: m for m in (Grievance, CaseEvent, Message, Attachment)}[table].__table__
    assert runner.invoke(args=["keys", "verify"]).exit_code == 0
    session.execute(sa.update(t).where(t.c.id == row_id).values({column: value}))
    session.commit()

    result = runner.invoke(args=["keys", "verify"])

    assert result.exit_code != 0
    assert f"FAILED {table} {row_id}: DecryptionError" in result.output
    assert result.output.count("FAILED") == 1


# --- smaller findings --------------------------------------------------------


def test_the_settings_repr_holds_no_secret():
    """A settings object printed into a log or traceback must not carry the secret key."""
    secret = "x" * 40
    assert secret not in repr(Settings(secret_key=secret))
    assert secret not in str(Settings(secret_key=secret))


def test_loaded_key_material_repr_holds_no_key(app):
    material = keys.current()
    text = repr(material)
    assert material.secret_key not in text
    assert material.index_root.hex() not in text and repr(material.index_root) not in text
    for key in material.ring.keys.values():
        assert key.hex() not in text and repr(key) not in text


def test_scrub_environment_removes_the_key_variables():
    """Once loaded, keys given in the environment must not reach child processes."""
    env = {
        "PORTAL_KEK_RING": '{"active": "k1"}',
        "PORTAL_INDEX_KEY": "aW5kZXg=",
        "PORTAL_SECRET_KEY": "s" * 64,
        "PORTAL_ENV": "production",
        "PATH": "/usr/bin",
    }
    keys.scrub_environment(env)
    assert env == {"PORTAL_ENV": "production", "PATH": "/usr/bin"}


def test_rotate_skips_a_case_whose_key_does_not_unwrap_and_rewraps_the_rest(own_app):
    """Attack: corrupt one case's wrapped data key; rotation must not stall for all cases."""
    ids = seed(own_app)
    victim = ids[1]
    old_id = keys.current().ring.active_id
    table = Grievance.__table__
    with database(own_app).new_session() as s:
        wrapped = s.scalar(sa.select(table.c.dek_wrapped).where(table.c.id == victim))
        s.execute(
            sa.update(table).where(table.c.id == victim).values(dek_wrapped=flip(bytes(wrapped), 5))
        )
        s.commit()
    cli = own_app.test_cli_runner()

    for run in ("first", "rerun"):
        result = cli.invoke(args=["keys", "rotate"])
        assert result.exit_code != 0, run
        assert f"SKIPPED grievances {victim}" in result.output, run
        assert result.output.count("SKIPPED") == 1, run

    new_id = keys.current().ring.active_id
    assert new_id != old_id
    with database(own_app).new_session() as s:
        cases = {c.id: c for c in s.scalars(sa.select(Grievance))}
        assert cases.pop(victim).dek_key_id == old_id
        assert {c.dek_key_id for c in cases.values()} == {new_id}
        assert sorted(c.subject for c in cases.values()) == ["First case", "Third case"]


def wide(text: str) -> str:
    """The full-width form of ASCII text, as a Korean or Japanese input method types it."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


@pytest.mark.parametrize(
    "typed", [wide("AB123"), wide("ab123"), wide("AB-123"), wide("AB") + "\u3000" + wide("123")]
)
def test_full_width_member_numbers_index_like_ascii(typed):
    """A member number typed in full-width keys must find the same member."""
    assert typed != "AB123"
    root = secrets.token_bytes(32)
    assert blind_index(root, "member_number", typed) == blind_index(root, "member_number", "AB123")
