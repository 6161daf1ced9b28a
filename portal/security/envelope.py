"""Envelope encryption: per-case data keys wrapped by the KEK ring.

Every field blob is ``version(1) || nonce(12) || AES-256-GCM ciphertext+tag``.
The associated data names where the ciphertext belongs (table, column, row) and
the flags that decide who may see it, so a blob copied to another row or column,
or a flag flipped in the database, fails to decrypt instead of leaking.

Associated data is a sequence of length-prefixed parts, so no choice of ids or
values can make two different lists encode to the same bytes.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.security.errors import DecryptionError
from portal.security.keys import KEY_BYTES, KeyRing

# 2: length-prefixed associated data with bound flags (1 was `table|column|row|1`).
FORMAT_VERSION = 2
NONCE_BYTES = 12
TAG_BYTES = 16
_HEADER = bytes([FORMAT_VERSION])
WRAP_PURPOSE = "case-data-key"


def encode_parts(*parts: str) -> bytes:
    """Each part as a 4-byte big-endian length and its UTF-8 bytes."""
    out = bytearray()
    for part in parts:
        raw = part.encode("utf-8")
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _aead(key: bytes) -> AESGCM:
    # AESGCM also accepts 128/192-bit keys; insist on 256.
    if len(key) != KEY_BYTES:
        raise ValueError(f"expected a {KEY_BYTES}-byte key")
    return AESGCM(key)


def _wrap_aad(kid: str, aad: bytes) -> bytes:
    # Naming the key id and purpose means a wrapped key cannot be relabelled
    # as wrapped by another key, nor a KEK ciphertext reused for anything else.
    return encode_parts(WRAP_PURPOSE, kid, str(FORMAT_VERSION)) + aad


def wrap_data_key(ring: KeyRing, dek: bytes, aad: bytes) -> tuple[str, bytes]:
    """Wrap ``dek`` under the active KEK; returns (kid, version || nonce || ciphertext)."""
    if len(dek) != KEY_BYTES:
        raise ValueError(f"a data key must be {KEY_BYTES} bytes")
    kid, kek = ring.active()
    nonce = secrets.token_bytes(NONCE_BYTES)
    return kid, _HEADER + nonce + _aead(kek).encrypt(nonce, dek, _wrap_aad(kid, aad))


def unwrap_data_key(ring: KeyRing, kid: str, wrapped: bytes, aad: bytes) -> bytes:
    """Recover a data key; KeyNotFound for an unknown kid, DecryptionError otherwise."""
    kek = ring.get(kid)
    if len(wrapped) != 1 + NONCE_BYTES + KEY_BYTES + TAG_BYTES or wrapped[0] != FORMAT_VERSION:
        raise DecryptionError("wrapped data key has the wrong length or format")
    body = wrapped[1:]
    try:
        return _aead(kek).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _wrap_aad(kid, aad))
    except InvalidTag:
        raise DecryptionError("wrapped data key failed authentication") from None


def field_aad(table: str, column: str, row_id: str, *bound: str) -> bytes:
    """Where a field belongs, plus `name=value` of each flag that governs who sees it."""
    return encode_parts("field", table, column, row_id, str(FORMAT_VERSION), *bound)


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
