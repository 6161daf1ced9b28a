"""The keyed hashes of the audit chain, its head seal and the off-host anchor.

Three purposes, three keys derived from the index root, so a value computed
for one can never stand in for another: entry hashes ("audit-entry"), the
head's seal ("audit-head") and anchors ("audit-anchor"). Entries and heads of
scheme 1 were written before the split, under one "audit-chain" key; they stay
verifiable but nothing new is written that way.

Scheme 3 chains entries in lanes (see portal.services.audit): an entry's link
covers its lane and its position there, and a head's seal covers its lane, so
an entry or head cannot be moved to another lane. Entries and heads of scheme 2
are lane 1's, where the position is the entry's id.
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
SCHEME = 3
LANE_SCHEME = 3  # the first scheme with lanes
LEGACY_SCHEME = 1
ANCHOR_PREFIX = "audit-anchor"


def _key(root: bytes, purpose: str, scheme: int) -> bytes:
    return derive_key(root, "audit-chain" if scheme == LEGACY_SCHEME else purpose)


def entry_hash(root: bytes, prev_hash: str, entry: Any) -> str:
    """The keyed link of one entry: its content and the hash of the one before."""
    scheme = entry.scheme or LEGACY_SCHEME
    position = [entry.lane, entry.seq] if scheme >= LANE_SCHEME else [entry.id]
    fields = [
        *position,
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


def head_seal(root: bytes, lane: int, last_seq: int, last_hash: str, scheme: int = SCHEME) -> str:
    key = _key(root, "audit-head", scheme)
    if scheme == LEGACY_SCHEME:
        message = f"head|{last_seq}|{last_hash}".encode()
    elif scheme < LANE_SCHEME:
        message = encode_parts("audit-head", str(last_seq), last_hash)
    else:
        message = encode_parts("audit-head", str(lane), str(last_seq), last_hash)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_is_sealed(root: bytes, head: Any) -> bool:
    scheme = head.scheme or LEGACY_SCHEME
    if scheme < LANE_SCHEME and head.id != 1:
        return False  # before lanes there was only lane 1's head
    expected = head_seal(root, head.id, head.last_seq, head.last_hash, scheme)
    return hmac.compare_digest(head.mac or "", expected)


@dataclass(frozen=True)
class Anchor:
    """A sealed copy of every lane's head, kept off the host by the operator.

    `heads` maps lane to (position, hash). An anchor of scheme 2 names lane 1 only."""

    heads: dict[int, tuple[int, str]]
    at: str  # ISO 8601, UTC: when the anchor was taken
    mac: str

    def __str__(self) -> str:
        return f"{ANCHOR_PREFIX}:{SCHEME}:{_heads_text(self.heads)}:{self.at}:{self.mac}"

    @property
    def entries(self) -> int:
        return sum(seq for seq, _hash in self.heads.values())


def _heads_text(heads: dict[int, tuple[int, str]]) -> str:
    return "+".join(f"{lane}.{seq}.{h}" for lane, (seq, h) in sorted(heads.items()))


def _anchor_mac(root: bytes, scheme: int, heads: dict[int, tuple[int, str]], at: str) -> str:
    key = derive_key(root, "audit-anchor")
    if scheme < LANE_SCHEME:
        seq, h = heads[1]
        message = encode_parts(ANCHOR_PREFIX, str(scheme), str(seq), h, at)
    else:
        message = encode_parts(ANCHOR_PREFIX, str(scheme), _heads_text(heads), at)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def make_anchor(root: bytes, heads: dict[int, tuple[int, str]], at: datetime) -> Anchor:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Anchor(dict(heads), stamp, _anchor_mac(root, SCHEME, heads, stamp))


class BadAnchor(ValueError):
    """The text is not an anchor this installation made."""


def _parse_heads(scheme: int, text: str) -> dict[int, tuple[int, str]]:
    if scheme < LANE_SCHEME:
        if not text.isdigit():
            raise ValueError(text)
        return {1: (int(text), "")}
    heads = {}
    for part in text.split("+"):
        lane, seq, h = part.split(".")
        if not (lane.isdigit() and seq.isdigit() and len(h) == 64):
            raise ValueError(part)
        heads[int(lane)] = (int(seq), h)
    return heads


def parse_anchor(root: bytes, text: str) -> Anchor:
    # The time holds colons, so split the fixed fields off both ends.
    parts = text.strip().split(":")
    if len(parts) < 5 or parts[0] != ANCHOR_PREFIX or parts[1] not in ("2", str(SCHEME)):
        raise BadAnchor(
            f"this is not an audit anchor (it should start with {ANCHOR_PREFIX}:{SCHEME}:)"
        )
    scheme = int(parts[1])
    try:
        if scheme < LANE_SCHEME:  # audit-anchor:2:<id>:<hash>:<at>:<mac>
            if len(parts) < 6 or len(parts[3]) != 64:
                raise ValueError(parts[3] if len(parts) > 3 else "")
            heads = {1: (_parse_heads(scheme, parts[2])[1][0], parts[3])}
            at = ":".join(parts[4:-1])
        else:  # audit-anchor:3:<lane>.<seq>.<hash>+...:<at>:<mac>
            heads = _parse_heads(scheme, parts[2])
            at = ":".join(parts[3:-1])
    except ValueError:
        raise BadAnchor("the anchor is damaged (wrong length or characters)") from None
    mac = parts[-1]
    if len(mac) != 64:
        raise BadAnchor("the anchor is damaged (wrong length or characters)")
    if not hmac.compare_digest(mac, _anchor_mac(root, scheme, heads, at)):
        raise BadAnchor("the anchor's seal does not match: it was altered or made elsewhere")
    return Anchor(heads, at, mac)
