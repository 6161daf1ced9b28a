"""Password hashes are sealed: a dump has nothing to guess against, a writer cannot plant one."""

from __future__ import annotations

import base64

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


def write(session, email: str, value: str) -> None:  # type: ignore[no-untyped-def]
    # As a database writer would: straight to the row, past the app.
    session.execute(
        sa.text("UPDATE users SET password_hash = :v WHERE email_key = :k"),
        {"v": value, "k": email},
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
    make_user(session, email="chair.victim@example.org")
    session.commit()
    write(session, "chair.victim@example.org", PasswordHasher().hash(OTHER))
    assert browser.sign_in("chair.victim@example.org", OTHER).status_code == 400
    # Nor the hash sealed for another account: it is bound to the account it was made for.
    write(session, "chair.victim@example.org", passwords.hash_password(OTHER, "else@example.org"))
    assert browser.sign_in("chair.victim@example.org", OTHER).status_code == 400


def test_a_hash_copied_from_another_account_does_not_sign_in(browser, session):
    make_user(session, email="writer@example.org", password=OTHER)
    make_user(session, email="admin.victim@example.org")
    session.commit()
    write(session, "admin.victim@example.org", stored(session, "writer@example.org"))
    assert browser.sign_in("admin.victim@example.org", OTHER).status_code == 400
    assert browser.sign_in("writer@example.org", OTHER).status_code == 303


def test_new_hashes_use_owasps_argon2id_parameters(session):
    passwords.use_fast_hashing(False)
    try:
        value = passwords.hash_password(PASSWORD, "p@example.org")
    finally:
        passwords.use_fast_hashing(True)
    inner = passwords._unseal(value, "p@example.org")
    assert inner is not None and inner.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
