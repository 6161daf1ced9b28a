"""Password rules and argon2id hashing."""

from __future__ import annotations

import contextlib
import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from portal.i18n import _l

MIN_LENGTH = 12
MAX_LENGTH = 128

_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
# Tests run with tiny parameters; a change of parameters rehashes at next sign-in.
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_STRONG = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
_hasher = _STRONG


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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        # Spend the same time as a real check so unknown accounts don't answer faster.
        _burn(password)
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


_dummy_hashes: dict[int, str] = {}


def _dummy_hash() -> str:
    if id(_hasher) not in _dummy_hashes:
        _dummy_hashes[id(_hasher)] = _hasher.hash("not a real password")
    return _dummy_hashes[id(_hasher)]


def _burn(password: str) -> None:
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)
