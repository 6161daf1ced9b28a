"""Recording and verifying the audit log. Every read and change of a case goes
through `record`, in the same transaction as the change itself."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models.audit import AuditEntry, AuditHead
from portal.security import keys
from portal.security.blind_index import audit_chain_key

GENESIS = "0" * 64


class Actor(Protocol):
    id: int


def _chain_hash(key: bytes, prev_hash: str, entry: Any) -> str:
    body = json.dumps(
        [
            entry.id,
            entry.at.isoformat(),
            entry.actor_id,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.detail,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(key, f"{prev_hash}\n{body}".encode(), hashlib.sha256).hexdigest()


def _head_mac(key: bytes, last_id: int, last_hash: str) -> str:
    return hmac.new(key, f"head|{last_id}|{last_hash}".encode(), hashlib.sha256).hexdigest()


def _lock_head(session: Session, key: bytes) -> AuditHead:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(AuditHead)
        .values(id=1, last_id=0, last_hash=GENESIS, mac=_head_mac(key, 0, GENESIS))
        .on_conflict_do_nothing(index_elements=["id"])
    )
    head = session.scalar(
        sa.select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert head is not None
    return head


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: object,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry. `detail` must hold no sensitive text (ids, statuses, counts)."""
    key = audit_chain_key(keys.current().index_root)
    head = _lock_head(session, key)
    entry = AuditEntry(
        id=head.last_id + 1,
        at=(now or utcnow()).astimezone(UTC).replace(microsecond=0),
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=json.dumps(detail or {}, sort_keys=True, separators=(",", ":")),
        prev_hash=head.last_hash,
    )
    entry.hash = _chain_hash(key, head.last_hash, entry)
    session.add(entry)
    head.last_id, head.last_hash = entry.id, entry.hash
    head.mac = _head_mac(key, entry.id, entry.hash)
    session.flush()
    return entry


@dataclass(frozen=True)
class Problem:
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "log"
        return f"{where}: {self.reason}"


def verify(session: Session, batch: int = 1000) -> Iterator[int | Problem]:
    """Walk the chain in order, yielding each verified id or the first problems found."""
    key = audit_chain_key(keys.current().index_root)
    expected_id, prev = 1, GENESIS
    last_id = 0
    while True:
        table = AuditEntry.__table__
        rows = session.execute(
            sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.id != expected_id:
                yield Problem(entry.id, f"entries {expected_id} to {entry.id - 1} are missing")
            elif entry.prev_hash != prev:
                yield Problem(
                    entry.id, "does not follow the entry before it (reordered or replaced)"
                )
            elif not hmac.compare_digest(_chain_hash(key, prev, entry), entry.hash):
                yield Problem(entry.id, "was edited after it was written")
            else:
                yield entry.id
            expected_id, prev, last_id = entry.id + 1, entry.hash, entry.id
    head = session.get(AuditHead, 1)
    if head is None:
        if last_id:
            yield Problem(
                None, "the chain head is missing (the newest entries may have been removed)"
            )
    elif not hmac.compare_digest(head.mac, _head_mac(key, head.last_id, head.last_hash)):
        yield Problem(None, "the chain head was altered (the newest entries may have been removed)")
    elif head.last_id != last_id or head.last_hash != prev:
        yield Problem(None, f"the newest entries after {last_id} were removed")


def count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0
