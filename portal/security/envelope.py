"""Envelope encryption: per-case data keys wrapped by the KEK ring.

Every field blob is ``version(1) || nonce(12) || AES-256-GCM ciphertext+tag``.
The associated data names where the ciphertext belongs (table, column, row),
so a blob copied to another row or column fails to decrypt.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.security.errors import DecryptionError
from portal.security.keys import KEY_BYTES, KeyRing

FORMAT_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
_HEADER = bytes([FORMAT_VERSION])


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _aead(key: bytes) -> AESGCM:
    # AESGCM also accepts 128/192-bit keys; insist on 256.
    if len(key) != KEY_BYTES:
        raise ValueError(f"expected a {KEY_BYTES}-byte key")
    return AESGCM(key)


def wrap_data_key(ring: KeyRing, dek: bytes, aad: bytes) -> tuple[str, bytes]:
    """Wrap ``dek`` under the active KEK; returns (kid, nonce || ciphertext)."""
    if len(dek) != KEY_BYTES:
        raise ValueError(f"a data key must be {KEY_BYTES} bytes")
    kid, kek = ring.active()
    nonce = secrets.token_bytes(NONCE_BYTES)
    return kid, nonce + _aead(kek).encrypt(nonce, dek, aad)


def unwrap_data_key(ring: KeyRing, kid: str, wrapped: bytes, aad: bytes) -> bytes:
    """Recover a data key; KeyNotFound for an unknown kid, DecryptionError otherwise."""
    kek = ring.get(kid)
    if len(wrapped) != NONCE_BYTES + KEY_BYTES + TAG_BYTES:
        raise DecryptionError("wrapped data key has the wrong length")
    try:
        return _aead(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError("wrapped data key failed authentication") from None


def field_aad(table: str, column: str, row_id: str) -> bytes:
    return f"{table}|{column}|{row_id}|{FORMAT_VERSION}".encode()


def encrypt_bytes(dek: bytes, plaintext: bytes, aad: bytes) -> bytes:
    # A fresh random nonce per call: 2^32 messages per key keeps the collision
    # risk negligible, far beyond what one case will ever hold.
    nonce = secrets.token_bytes(NONCE_BYTES)
    return _HEADER + nonce + _aead(dek).encrypt(nonce, plaintext, aad)


def decrypt_bytes(dek: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("ciphertext is too short")
    if blob[0] != FORMAT_VERSION:
        raise DecryptionError("ciphertext has an unknown format version")
    try:
        aead = _aead(dek)
        return aead.decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], aad)
    except (InvalidTag, ValueError):
        raise DecryptionError("ciphertext failed authentication") from None


def encrypt_text(dek: bytes, plaintext: str, aad: bytes) -> bytes:
    return encrypt_bytes(dek, plaintext.encode("utf-8"), aad)


def decrypt_text(dek: bytes, blob: bytes, aad: bytes) -> str:
    raw = decrypt_bytes(dek, blob, aad)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError("decrypted field is not valid UTF-8") from None
