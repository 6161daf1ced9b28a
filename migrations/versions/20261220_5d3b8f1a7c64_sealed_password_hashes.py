"""password hashes are sealed under a key the database does not hold

Revision ID: 5d3b8f1a7c64
Revises: 2f7b9d4e6c18
Create Date: 2026-12-20 09:00:00.000000

Each `users.password_hash` (a bare argon2id hash) becomes `$sealed1$` and the hash encrypted
with AES-256-GCM under HKDF(index root, "password-seal"), the account's id and email key as
associated data (see portal/security/passwords.py). A dump then holds nothing to test
guesses against, and a database writer can neither plant a hash nor move one between
accounts. Sealing needs the keys, read the way the portal reads them; a database without
passwords needs none. Going back opens the seals again.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

revision: str = "5d3b8f1a7c64"
down_revision: str | None = "2f7b9d4e6c18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED = "$sealed1$"
FORMAT = 2  # portal.security.envelope's format byte

users = sa.table("users", sa.column("id"), sa.column("email_key"), sa.column("password_hash"))


def _aad(user_id: int, email_key: str) -> bytes:
    out = bytearray()
    for part in ("password", str(user_id), email_key):
        raw = part.encode("utf-8")
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def _key() -> bytes:
    material = context.config.attributes.get("keys")
    if material is None:
        from portal.config import Settings
        from portal.security.keys import load_keys

        material = load_keys(Settings.from_env().keys_dir, os.environ)
    from portal.security.keys import derive_key

    return derive_key(material.index_root, "password-seal")


def _rows(bare: bool):  # type: ignore[no-untyped-def]
    if context.is_offline_mode():
        raise RuntimeError("sealing password hashes needs the database and the keys: run online")
    found = op.get_bind().execute(
        sa.select(users.c.id, users.c.email_key, users.c.password_hash).where(
            users.c.password_hash.is_not(None)
        )
    )
    return [row for row in found if row.password_hash.startswith(SEALED) != bare]


def upgrade() -> None:
    rows = _rows(bare=True)
    if not rows:
        return
    aead = AESGCM(_key())
    for row in rows:
        nonce = secrets.token_bytes(12)
        box = aead.encrypt(nonce, row.password_hash.encode("ascii"), _aad(row.id, row.email_key))
        sealed = SEALED + base64.urlsafe_b64encode(bytes([FORMAT]) + nonce + box).decode()
        op.get_bind().execute(
            users.update().where(users.c.id == row.id).values(password_hash=sealed)
        )


def downgrade() -> None:
    rows = _rows(bare=False)
    if not rows:
        return
    aead = AESGCM(_key())
    for row in rows:
        blob = base64.urlsafe_b64decode(row.password_hash[len(SEALED) :])
        try:
            bare = aead.decrypt(blob[1:13], blob[13:], _aad(row.id, row.email_key)).decode()
        except InvalidTag:
            raise RuntimeError(
                f"user {row.id}: the password hash does not open with these keys; restore the "
                "key files of this installation before going back"
            ) from None
        op.get_bind().execute(users.update().where(users.c.id == row.id).values(password_hash=bare))
