"""Blind indexes: deterministic HMACs that allow exact-match search on encrypted fields.

The HMAC key is derived per field, so equal values in two different fields do
not produce linkable index entries.
"""

from __future__ import annotations

import unicodedata

from cryptography.hazmat.primitives import hashes, hmac

from portal.security.keys import derive_key


def normalise(kind: str, value: str) -> str:
    """Canonical form, so trivially different spellings of one value match."""
    if kind == "email":
        return value.strip().casefold()
    if kind == "member_number":
        # Members type "ab-12 345" as often as "AB12345", and a Korean input
        # method may give the full-width forms of the same keys: NFKC folds them.
        folded = unicodedata.normalize("NFKC", value).strip().upper()
        return "".join(ch for ch in folded if ch != "-" and not ch.isspace())
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def blind_index(index_root: bytes, field: str, value: str) -> bytes:
    """32-byte HMAC-SHA256 of the normalised value under the field's own key.

    ``field`` doubles as the normalisation kind: "email" and "member_number"
    get their own rules, any other field the generic text rule.
    """
    if not field:
        raise ValueError("a blind index needs a field name")
    key = derive_key(index_root, "blind-index:" + field)
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(normalise(field, value).encode("utf-8"))
    return mac.finalize()


def audit_chain_key(index_root: bytes) -> bytes:
    return derive_key(index_root, "audit-chain")
