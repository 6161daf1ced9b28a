"""Password rules and argon2id hashing, the hash sealed under a key the database never holds.

A stored password is `$sealed1$` and the argon2id hash encrypted (AES-256-GCM) under a key
derived from the index root, with the account's id and email key as associated data. So a
stolen database dump holds no hash anyone can test a guess against, and a database writer
can neither write a hash of a password they know nor move one to another account (with or
without its email key): it fails to unseal, and the sign-in is refused like a wrong password.

With guessing off the table for a dump, argon2id only guards against someone who also has
the key files. Its parameters are OWASP's (19 MiB, 2 passes, 1 lane) rather than RFC 9106's
low-memory profile (64 MiB, 3 passes, 4 lanes): a sign-in holds 19 MiB rather than 64 in a
web worker, and a burst of sign-ins cannot take a host's memory. Hashes made with other
parameters are made again at the next sign-in.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from functools import cache
from pathlib import Path
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.i18n import _l
from portal.security import keys
from portal.security.envelope import decrypt_bytes, encode_parts, encrypt_bytes
from portal.security.errors import DecryptionError

MIN_LENGTH = 12
MAX_LENGTH = 128
SEALED = "$sealed1$"

_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
# Tests run with tiny parameters; a change of parameters rehashes at next sign-in.
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_STRONG = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_hasher = _STRONG


class Account(Protocol):
    """What a hash is sealed to: the account's row and the address it signs in with."""

    id: int
    email_key: str


def use_fast_hashing(fast: bool) -> None:
    global _hasher
    _hasher = _FAST if fast else _STRONG


@cache
def _common() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line and line[0] != "#")


def password_problem(password: str) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(min)d characters.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(max)d characters.", max=MAX_LENGTH)
    folded = password.casefold()
    # "password2024!" is as guessable as "password": strip the usual decorations.
    core = re.sub(r"[\d\W_]+$", "", folded)
    if folded in _common() or core in _common() or _is_repeat(folded):
        return _l("This password is too common. Choose a longer phrase only you would think of.")
    return None


def _is_repeat(text: str) -> bool:
    # "aaaaaaaaaaaa", "abcabcabcabc" and the like.
    return any(
        len(text) % size == 0 and text == text[:size] * (len(text) // size)
        for size in range(1, len(text) // 2 + 1)
    )


def hash_password(password: str, account: Account) -> str:
    """The stored form of `password` for `account` (whose row has its id already)."""
    return seal(unsealed_hash(password), account)


def unsealed_hash(password: str) -> str:
    """The argon2id hash alone (the slow part): for registration, which hashes before it
    knows whether it will store, and seeders that give many accounts one password. `seal`
    it for each account before it is stored."""
    return _hasher.hash(password)


def seal(argon2_hash: str, account: Account) -> str:
    blob = encrypt_bytes(_seal_key(), argon2_hash.encode("ascii"), _aad(account))
    return SEALED + base64.urlsafe_b64encode(blob).decode("ascii")


def _unseal(stored: str, account: Account) -> str | None:
    if not stored.startswith(SEALED):
        return None  # a bare hash is what a database writer would put there
    try:
        blob = base64.urlsafe_b64decode(stored[len(SEALED) :])
        return decrypt_bytes(_seal_key(), blob, _aad(account)).decode("ascii")
    except (DecryptionError, binascii.Error, ValueError):
        return None


def _seal_key() -> bytes:
    return keys.derive_key(keys.current().index_root, "password-seal")


def _aad(account: Account) -> bytes:
    if account.id is None:
        raise ValueError("seal a password once the account's row has its id")
    return encode_parts("password", str(account.id), account.email_key)


def verify_password(stored: str | None, password: str, account: Account | None) -> bool:
    inner = _unseal(stored, account) if stored and account is not None else None
    if inner is None:
        # Spend the same time as a real check so unknown accounts don't answer faster.
        _burn(password)
        return False
    try:
        return _hasher.verify(inner, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, account: Account) -> bool:
    inner = _unseal(stored, account)
    return inner is None or _hasher.check_needs_rehash(inner)


_dummy_hashes: dict[int, str] = {}


def _dummy_hash() -> str:
    if id(_hasher) not in _dummy_hashes:
        _dummy_hashes[id(_hasher)] = _hasher.hash("not a real password")
    return _dummy_hashes[id(_hasher)]


def _burn(password: str) -> None:
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)
