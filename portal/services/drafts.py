"""Drafts between "Review" and "Send": the filing form kept server-side, encrypted.

The review page is then an ordinary GET, so Back and Reload never ask to resend a form, and
an upload refused on the review page (too large, wrong type) loses nothing the member typed.
A draft belongs to the person who wrote it, lives a day at most, and goes when the case is
filed (in the filing's transaction).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models.drafts import FilingDraft
from portal.models.users import User
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.security.envelope import decrypt_text, encode_parts, encrypt_text
from portal.security.errors import DecryptionError
from portal.security.keys import derive_key
from portal.services.intake import TOKEN_RE

LIFETIME = timedelta(hours=24)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _writer(user: User) -> bytes:
    return blind_index(keys.current().index_root, "draft-writer", str(user.id))


def _key() -> bytes:
    return derive_key(keys.current().index_root, "filing-draft")


def _aad(token_hash: str, writer: bytes) -> bytes:
    return encode_parts("filing_drafts", token_hash, writer.hex())


def save(
    session: Session, writer: User, token: str, values: dict[str, str], now: datetime | None = None
) -> bool:
    """Keep `values` under the form's token; False (nothing kept) for a malformed token."""
    if not TOKEN_RE.fullmatch(token or ""):
        return False
    now = now or utcnow()
    session.execute(sa.delete(FilingDraft).where(FilingDraft.expires_at <= now))
    token_hash, digest = _hash(token), _writer(writer)
    draft = session.get(FilingDraft, token_hash)
    if draft is not None and bytes(draft.writer_digest) != digest:
        return False  # someone else's token: never overwrite their draft
    if draft is None:
        draft = FilingDraft(token_hash=token_hash, writer_digest=digest)
        session.add(draft)
    draft.body_ct = encrypt_text(_key(), json.dumps(values), _aad(token_hash, digest))
    draft.created_at, draft.expires_at = now, now + LIFETIME
    session.flush()
    return True


def load(
    session: Session, writer: User, token: str, now: datetime | None = None
) -> dict[str, str] | None:
    """The writer's draft under this token, or None (unknown, expired, someone else's)."""
    if not TOKEN_RE.fullmatch(token or ""):
        return None
    draft = session.get(FilingDraft, _hash(token))
    if draft is None or draft.expires_at <= (now or utcnow()):
        return None
    digest = _writer(writer)
    if bytes(draft.writer_digest) != digest:
        return None
    try:
        values = json.loads(
            decrypt_text(_key(), bytes(draft.body_ct), _aad(draft.token_hash, digest))
        )
    except (DecryptionError, ValueError):
        return None
    return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else None


def discard(session: Session, token: str) -> None:
    session.execute(sa.delete(FilingDraft).where(FilingDraft.token_hash == _hash(token or "")))
