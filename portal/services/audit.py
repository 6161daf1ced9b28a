"""Recording and verifying the audit log. Every read and change of a case goes
through `record`, in the same transaction as the change itself, and last in it.

Before an entry is appended the head's seal is checked, and the entry it names
must exist with that hash and be the newest: a log whose tail was cut, whose
head was forged or moved back, or that was wiped, is never extended (and so
never re-sealed into something that verifies again). The write is refused and
`flask audit verify` keeps naming the damage.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import apart, insert_for, utcnow
from portal.models.audit import AuditEntry, AuditHead
from portal.models.grievances import Grievance
from portal.security import keys
from portal.security.audit_seal import (
    GENESIS,
    SCHEME,
    Anchor,
    entry_hash,
    head_is_sealed,
    head_seal,
    make_anchor,
)
from portal.security.errors import AuditChainBroken

__all__ = ["GENESIS", "Problem", "anchor", "count", "record", "verify"]

# The member acting on their own case is recorded as this, not by user id, so
# the log does not join a case to the member who filed it.
CASE_MEMBER = "case-member"


class Actor(Protocol):
    id: int


def _holds_cases(session: Session, besides: set[object] | None = None) -> bool:
    """Whether any case exists, other than `besides` (cases this transaction is filing)."""
    stmt = sa.select(Grievance.id)
    if besides:
        stmt = stmt.where(Grievance.id.not_in(besides))
    return session.scalar(sa.select(stmt.limit(1).exists())) or False


def _has_entries(session: Session, after: int = 0) -> bool:
    stmt = sa.select(sa.exists().where(AuditEntry.id > after))
    return session.scalar(stmt) or False


def _select_head(session: Session) -> AuditHead | None:
    return session.scalar(
        sa.select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _lock_head(session: Session, root: bytes, new_cases: set[object]) -> AuditHead:
    """The head, locked, after checking it still seals the real newest entry.

    The genesis head is written when the keys are first registered (see
    `create_genesis`), so a missing head is always damage, never a fresh start."""
    head = _select_head(session)
    if head is None:
        raise AuditChainBroken("the chain head is missing (deleted from the database)")
    if not head_is_sealed(root, head):
        raise AuditChainBroken("the chain head's seal does not match (the head was altered)")
    if head.last_id:
        newest = session.get(AuditEntry, head.last_id, populate_existing=True)
        if newest is None or newest.hash != head.last_hash:
            raise AuditChainBroken(
                f"entry {head.last_id}, which the head names, is missing or was rewritten"
            )
    if _has_entries(session, after=head.last_id):
        raise AuditChainBroken(f"entries after {head.last_id} exist beyond the head")
    if head.last_id == 0 and _holds_cases(session, besides=new_cases):
        # An empty chain beside cases filed earlier: the log was wiped and the
        # (unchanging) genesis head put back.
        raise AuditChainBroken("the log is empty while the database holds cases")
    return head


def create_genesis(session: Session, root: bytes) -> None:
    """The empty chain's sealed head, for a database that never had a log."""
    if session.get(AuditHead, 1) is not None or _has_entries(session):
        return
    session.execute(
        insert_for(session)(AuditHead)
        .values(id=1, last_id=0, last_hash=GENESIS, scheme=SCHEME, mac=head_seal(root, 0, GENESIS))
        .on_conflict_do_nothing(index_elements=["id"])
    )


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: object,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
    *,
    by_member: bool = False,
) -> AuditEntry:
    """Append one entry. `detail` must hold no sensitive text (ids, statuses, counts).

    `by_member` records the case's own member as the actor without their id.
    Call it last in a transaction: pending changes are flushed first, so locks
    are always taken on the case before the head.
    """
    new_cases = {obj.id for obj in session.new if isinstance(obj, Grievance)}
    session.flush()
    with apart(session) as writer:  # a page view's entry: a short write of its own
        return _append(
            writer, actor, action, object_type, object_id, detail, now, by_member, new_cases
        )


def _append(
    session: Session,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: object,
    detail: dict[str, Any] | None,
    now: datetime | None,
    by_member: bool,
    new_cases: set[object],
) -> AuditEntry:
    root = keys.current().index_root
    head = _lock_head(session, root, new_cases)
    body = dict(detail or {})
    if by_member:
        body["actor"] = CASE_MEMBER
    entry = AuditEntry(
        id=head.last_id + 1,
        at=(now or utcnow()).astimezone(UTC).replace(microsecond=0),
        actor_id=None if by_member or actor is None else actor.id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=json.dumps(body, sort_keys=True, separators=(",", ":")),
        prev_hash=head.last_hash,
        scheme=SCHEME,
    )
    entry.hash = entry_hash(root, head.last_hash, entry)
    session.add(entry)
    head.last_id, head.last_hash, head.scheme = entry.id, entry.hash, SCHEME
    head.mac = head_seal(root, entry.id, entry.hash)
    session.flush()
    return entry


@dataclass(frozen=True)
class Problem:
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id is not None else "log"
        return f"{where}: {self.reason}"


def verify(
    session: Session, batch: int = 1000, anchor: Anchor | None = None
) -> Iterator[int | Problem]:
    """Walk the chain in order, yielding each verified id or the problems found.

    With an `anchor` taken earlier, also prove the chain still reaches the
    anchored entry with the anchored hash, and that the head is not older
    than the anchor: a wiped log or a replayed old head is caught even though
    both seal correctly."""
    root = keys.current().index_root
    expected_id, prev = 1, GENESIS
    last_id = 0
    anchored_seen = anchor is None or anchor.entry_id == 0
    table = AuditEntry.__table__
    while True:
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
            elif entry.hash != entry_hash(root, prev, entry):
                yield Problem(entry.id, "was edited after it was written")
            else:
                yield entry.id
            if anchor is not None and entry.id == anchor.entry_id:
                anchored_seen = True
                if entry.hash != anchor.hash:
                    yield Problem(entry.id, "differs from the anchor: history was rewritten")
            expected_id, prev, last_id = entry.id + 1, entry.hash, entry.id
    yield from _verify_head(session, root, last_id, prev)
    if last_id == 0 and _holds_cases(session):
        yield Problem(None, "the log is empty while the database holds cases (it was wiped)")
    elif unfiled := _cases_without_filing(session):
        yield Problem(
            None,
            f"{unfiled} cases have no filing entry: entries were removed "
            "(an older head may have been put back)",
        )
    if anchor is not None and not anchored_seen:
        yield Problem(
            anchor.entry_id, "named by the anchor is gone: the log was cut or wiped since then"
        )


def _cases_without_filing(session: Session) -> int:
    """Cases whose `case.filed` entry is gone: catches a cut tail under a replayed head."""
    filed = sa.select(AuditEntry.object_id).where(
        AuditEntry.object_type == "grievance", AuditEntry.action == "case.filed"
    )
    ids = session.scalars(sa.select(Grievance.id)).all()
    known = set(session.scalars(filed))
    return sum(1 for case_id in ids if str(case_id) not in known)


def _verify_head(session: Session, root: bytes, last_id: int, last_hash: str) -> Iterator[Problem]:
    head = session.get(AuditHead, 1, populate_existing=True)
    if head is None:
        if last_id:
            yield Problem(
                None, "the chain head is missing (the newest entries may have been removed)"
            )
    elif not head_is_sealed(root, head):
        yield Problem(None, "the chain head was altered (the newest entries may have been removed)")
    elif head.last_id != last_id or head.last_hash != last_hash:
        if head.last_id < last_id:
            yield Problem(None, f"the head was moved back to entry {head.last_id}")
        else:
            yield Problem(None, f"the newest entries after {last_id} were removed")


def anchor(session: Session, now: datetime | None = None) -> Anchor:
    """A sealed copy of the current head, for the operator to keep off the host."""
    root = keys.current().index_root
    head = session.get(AuditHead, 1)
    last_id, last_hash = (head.last_id, head.last_hash) if head else (0, GENESIS)
    return make_anchor(root, last_id, last_hash, (now or utcnow()).astimezone(UTC))


def count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0
