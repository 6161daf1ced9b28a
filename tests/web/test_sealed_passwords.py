"""Password hashes are sealed: a dump has nothing to guess against, a writer cannot plant one."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError

from portal.security import passwords
from tests.factories import PASSWORD, make_user

OTHER = "a lantern left on the pier"


def stored(session, email: str) -> str:  # type: ignore[no-untyped-def]
    return session.execute(
        sa.text("SELECT password_hash FROM users WHERE email_key = :k"), {"k": email}
    ).scalar_one()


def write(session, email: str, **values: object) -> None:  # type: ignore[no-untyped-def]
    # As a database writer would: straight to the row, past the app.
    columns = ", ".join(f"{name} = :{name}" for name in values)
    session.execute(
        sa.text(f"UPDATE users SET {columns} WHERE email_key = :k"), {**values, "k": email}
    )
    session.commit()


def test_a_dump_holds_no_hash_to_test_a_guess_against(session):
    make_user(session, email="dana@example.org")
    session.commit()
    value = stored(session, "dana@example.org")
    assert value.startswith("$sealed1$")
    sealed = base64.urlsafe_b64decode(value[len("$sealed1$") :])
    assert b"argon2" not in sealed and b"$v=19$" not in sealed
    with pytest.raises(InvalidHashError):
        PasswordHasher().verify(value, PASSWORD)


def test_a_planted_hash_of_a_known_password_does_not_sign_in(browser, session):
    victim = make_user(session, email="chair.victim@example.org")
    session.commit()
    write(session, "chair.victim@example.org", password_hash=PasswordHasher().hash(OTHER))
    assert browser.sign_in("chair.victim@example.org", OTHER).status_code == 400
    # Nor one sealed for another account's row, even under the victim's address.
    elsewhere = SimpleNamespace(id=victim.id + 1000, email_key="chair.victim@example.org")
    write(
        session, "chair.victim@example.org", password_hash=passwords.hash_password(OTHER, elsewhere)
    )
    assert browser.sign_in("chair.victim@example.org", OTHER).status_code == 400


def test_a_hash_moved_from_another_account_does_not_sign_in(browser, session):
    make_user(session, email="writer@example.org", password=OTHER)
    make_user(session, email="admin.victim@example.org")
    session.commit()
    theirs = stored(session, "writer@example.org")
    write(session, "admin.victim@example.org", password_hash=theirs)
    assert browser.sign_in("admin.victim@example.org", OTHER).status_code == 400
    # With the writer's address too: the seal names the row it was made for.
    write(session, "writer@example.org", email_key="writer.old@example.org")
    write(session, "admin.victim@example.org", email_key="writer@example.org")
    assert browser.sign_in("writer@example.org", OTHER).status_code == 400


def test_new_hashes_use_owasps_argon2id_parameters(session):
    user = make_user(session, email="p@example.org", password=None)
    passwords.use_fast_hashing(False)
    try:
        value = passwords.hash_password(PASSWORD, user)
    finally:
        passwords.use_fast_hashing(True)
    inner = passwords._unseal(value, user)
    assert inner is not None and inner.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
