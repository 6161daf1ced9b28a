"""The keyed hashes of the audit chain, its head seal and the off-host anchor.

Three purposes, three keys derived from the index root, so a value computed
for one can never stand in for another: entry hashes ("audit-entry"), the
head's seal ("audit-head") and anchors ("audit-anchor"). Entries and heads of
scheme 1 were written before the split, under one "audit-chain" key; they stay
verifiable but nothing new is written that way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.security.envelope import encode_parts
from portal.security.keys import derive_key

GENESIS = "0" * 64
SCHEME = 2
LEGACY_SCHEME = 1
ANCHOR_PREFIX = "audit-anchor"


def _key(root: bytes, purpose: str, scheme: int) -> bytes:
    return derive_key(root, "audit-chain" if scheme == LEGACY_SCHEME else purpose)


def entry_hash(root: bytes, prev_hash: str, entry: Any) -> str:
    """The keyed link of one entry: its content and the hash of the one before."""
    scheme = entry.scheme or LEGACY_SCHEME
    fields = [
        entry.id,
        entry.at.isoformat(),
        entry.actor_id,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.detail,
    ]
    if scheme != LEGACY_SCHEME:
        fields.append(scheme)
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    key = _key(root, "audit-entry", scheme)
    return hmac.new(key, f"{prev_hash}\n{body}".encode(), hashlib.sha256).hexdigest()


def head_seal(root: bytes, last_id: int, last_hash: str, scheme: int = SCHEME) -> str:
    key = _key(root, "audit-head", scheme)
    if scheme == LEGACY_SCHEME:
        message = f"head|{last_id}|{last_hash}".encode()
    else:
        message = encode_parts("audit-head", str(last_id), last_hash)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_is_sealed(root: bytes, head: Any) -> bool:
    expected = head_seal(root, head.last_id, head.last_hash, head.scheme or LEGACY_SCHEME)
    return hmac.compare_digest(head.mac or "", expected)


@dataclass(frozen=True)
class Anchor:
    """A sealed copy of the head, kept off the host by the operator."""

    entry_id: int
    hash: str
    at: str  # ISO 8601, UTC: when the anchor was taken
    mac: str

    def __str__(self) -> str:
        return f"{ANCHOR_PREFIX}:{SCHEME}:{self.entry_id}:{self.hash}:{self.at}:{self.mac}"


def _anchor_mac(root: bytes, entry_id: int, entry_hash_: str, at: str) -> str:
    key = derive_key(root, "audit-anchor")
    message = encode_parts(ANCHOR_PREFIX, str(SCHEME), str(entry_id), entry_hash_, at)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def make_anchor(root: bytes, entry_id: int, entry_hash_: str, at: datetime) -> Anchor:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Anchor(entry_id, entry_hash_, stamp, _anchor_mac(root, entry_id, entry_hash_, stamp))


class BadAnchor(ValueError):
    """The text is not an anchor this installation made."""


def parse_anchor(root: bytes, text: str) -> Anchor:
    # The time holds colons, so split the fixed fields off both ends.
    parts = text.strip().split(":")
    if len(parts) < 6 or parts[0] != ANCHOR_PREFIX or parts[1] != str(SCHEME):
        raise BadAnchor("this is not an audit anchor (it should start with audit-anchor:2:)")
    entry_id_text, entry_hash_, mac = parts[2], parts[3], parts[-1]
    at = ":".join(parts[4:-1])
    if not entry_id_text.isdigit() or len(entry_hash_) != 64 or len(mac) != 64:
        raise BadAnchor("the anchor is damaged (wrong length or characters)")
    entry_id = int(entry_id_text)
    if not hmac.compare_digest(mac, _anchor_mac(root, entry_id, entry_hash_, at)):
        raise BadAnchor("the anchor's seal does not match: it was altered or made elsewhere")
    return Anchor(entry_id, entry_hash_, at, mac)
