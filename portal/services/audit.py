"""Recording the audit log. Every read and change of a case goes through `record`,
in the same transaction as the change itself, and last in it (a page that only
reads writes its entry apart, at once: see `portal.db.apart`).

The log is a keyed hash chain in lanes: each lane has a sealed head, and a
writer takes the first lane no other transaction holds, so concurrent writers
(two workers, several app hosts) append side by side instead of queueing on one
row. One writer at a time in a lane keeps each lane a strict chain. Before an
entry is appended the lane's seal is checked, and the entry it names must exist
with that hash and be the lane's newest: a log whose tail was cut, whose head was
forged or moved back, or that was wiped, is never extended (and so never
re-sealed into something that verifies again). The write is refused and
`flask audit verify` keeps naming the damage.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, SessionTransaction

from portal.db import PREPARED, apart, insert_for, utcnow
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

__all__ = ["GENESIS", "LANES", "anchor", "count", "record"]

# The member acting on their own case is recorded as this, not by user id, so
# the log does not join a case to the member who filed it.
CASE_MEMBER = "case-member"
# Lanes of the chain: as many writers append at once without waiting.
LANES = 8
# The entry that opened lanes 2.. on an installation whose log began with one.
LANES_OPENED = "audit.lanes_opened"


# What an entry is appended with: the transaction's session, or a connection of its own.
Executor = Session | sa.Connection


class Actor(Protocol):
    id: int


def lane_name(lane: int) -> str:
    """How messages name a place in the log: lane 1 is the log as it always was."""
    return "" if lane == 1 else f" of lane {lane}"


def holds_cases(session: Executor, besides: set[object] | None = None) -> bool:
    """Whether any case exists, other than `besides` (cases this transaction is filing)."""
    stmt = sa.select(Grievance.id)
    if besides:
        stmt = stmt.where(Grievance.id.not_in(besides))
    return session.scalar(sa.select(stmt.limit(1).exists())) or False


def has_entries(session: Executor) -> bool:
    return session.scalar(sa.select(sa.exists().where(AuditEntry.id.is_not(None)))) or False


def _claim_head(session: Executor) -> sa.Row[Any] | None:
    """The first lane's head that no other transaction holds, locked, with the number of
    heads beside it; if every lane is busy, wait for lane 1. (SQLite has one writer at a
    time: always lane 1.)"""
    first_free, lane_one, _tail = _chain_statements()
    head = session.execute(first_free).first()
    if head is None:
        head = session.execute(lane_one).first()
    return head


@cache
def _chain_statements() -> tuple[sa.Select[Any], sa.Select[Any], sa.Select[Any]]:
    """The statements every append runs, built once: every page view appends, and building
    them anew each time cost more than running them."""
    heads = sa.select(sa.func.count()).select_from(AuditHead).scalar_subquery()
    columns = AuditHead.__table__.c
    stmt = sa.select(columns, heads.label("lanes")).order_by(columns.id).limit(1)
    # The lane's newest entry and anything beyond it, in one query.
    tail = (
        sa.select(AuditEntry.seq, AuditEntry.hash)
        .where(
            AuditEntry.lane == sa.bindparam("lane", type_=AuditEntry.lane.type),
            AuditEntry.seq >= sa.bindparam("seq", type_=AuditEntry.seq.type),
        )
        .order_by(AuditEntry.seq)
        .limit(2)
    )
    prepared = {PREPARED: True}
    return (
        stmt.with_for_update(skip_locked=True).execution_options(**prepared),
        stmt.where(columns.id == 1).with_for_update().execution_options(**prepared),
        tail.execution_options(**prepared),
    )


def _lock_head(
    session: Executor, root: bytes, new_cases: set[object], *, tail_later: bool = False
) -> sa.Row[Any]:
    """A lane's head, locked, after checking it still seals the lane's real newest entry.
    (`tail_later`: the entry's own insert asks for the lane's tail and `_check_tail` runs on
    its answer, a round trip fewer; a fresh lane is always checked here.)

    The genesis heads are written when the keys are first registered (see
    `create_genesis`), so a missing head is always damage, never a fresh start."""
    head = _claim_head(session)
    if head is None:
        raise AuditChainBroken("the chain head is missing (deleted from the database)")
    if not head_is_sealed(root, head):
        raise AuditChainBroken(
            f"the chain head{lane_name(head.id)}'s seal does not match (the head was altered)"
        )
    if not (tail_later and head.last_seq):
        tail = {"lane": head.id, "seq": head.last_seq}
        found = session.execute(_chain_statements()[2], tail).all()
        at_head = next((h for seq, h in found if seq == head.last_seq), None)
        _check_tail(head, at_head, sum(1 for seq, _h in found if seq > head.last_seq))
    if head.last_seq == 0 and not has_entries(session) and holds_cases(session, new_cases):
        # An empty log beside cases filed earlier: the log was wiped and the
        # (unchanging) genesis heads put back.
        raise AuditChainBroken("the log is empty while the database holds cases")
    if head.lanes not in (1, LANES):
        raise AuditChainBroken("a lane's head is missing (deleted from the database)")
    return head


def _check_tail(head: sa.Row[Any], at_head: str | None, beyond: int) -> None:
    """The lane's entry at the head's place must be the one the head names (`at_head`: its
    hash, None when missing), and no entry may lie beyond it (`beyond`: how many do).

    Asked only once the head is locked, in a snapshot taken after that: the previous
    holder's entries are then visible with the head they moved."""
    where = lane_name(head.id)
    if head.last_seq and at_head != head.last_hash:
        raise AuditChainBroken(
            f"entry {head.last_seq}{where}, which the head names, is missing or was rewritten"
        )
    if beyond:
        raise AuditChainBroken(f"entries after {head.last_seq}{where} exist beyond the head")


def _genesis_values(root: bytes, lane: int) -> dict[str, object]:
    return {
        "id": lane,
        "last_seq": 0,
        "last_hash": GENESIS,
        "scheme": SCHEME,
        "mac": head_seal(root, lane, 0, GENESIS),
    }


def create_genesis(session: Session, root: bytes) -> None:
    """Every lane's sealed empty head, for a database that never had a log."""
    if session.get(AuditHead, 1) is not None or has_entries(session):
        return
    for lane in range(1, LANES + 1):
        session.execute(
            insert_for(session)(AuditHead)
            .values(**_genesis_values(root, lane))
            .on_conflict_do_nothing(index_elements=["id"])
        )


def lanes_missing(session: Session) -> bool:
    """Whether this log still has one lane (it began before lanes): see `open_lanes`."""
    heads = session.scalar(sa.select(sa.func.count()).select_from(AuditHead)) or 0
    return 0 < heads < LANES


def open_lanes(session: Session, root: bytes, now: datetime | None = None) -> None:
    """Give a log that began with one lane the others. An entry in lane 1 records it,
    so a lane deleted later is missed by verification, never taken for unopened."""
    if not lanes_missing(session):
        return
    opened = session.scalar(sa.select(sa.exists().where(AuditEntry.action == LANES_OPENED)))
    if opened:
        return  # opened before: the missing heads are damage for `verify` to name
    record(session, None, LANES_OPENED, "audit", "lanes", {"lanes": LANES}, now=now)
    for lane in range(2, LANES + 1):
        session.execute(
            insert_for(session)(AuditHead)
            .values(**_genesis_values(root, lane))
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
    are always taken on the case before the head. (Only before the transaction's first
    entry: once it holds its lane's head the order is settled, and what is pending is
    flushed with the rest.)
    """
    held = session.info.get(HELD_HEAD)
    if held is None or held[0] != keys.current().index_root:
        new_cases = {obj.id for obj in session.new if isinstance(obj, Grievance)}
        session.flush()
    else:  # this transaction's lane is locked already: what is pending is flushed later
        new_cases = set()
    body = dict(detail or {})
    if by_member:
        body["actor"] = CASE_MEMBER
    entry = AuditEntry(
        at=(now or utcnow()).astimezone(UTC).replace(microsecond=0),
        actor_id=None if by_member or actor is None else actor.id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=json.dumps(body, sort_keys=True, separators=(",", ":")),
        scheme=SCHEME,
    )
    with apart(session) as writer:  # a page view's entry: a short write of its own
        _append(writer, entry, new_cases)
    return entry


def _append(session: Executor, entry: AuditEntry, new_cases: set[object]) -> None:
    """Link `entry` into a lane and move the lane's head: plain statements after the checks
    (every page view comes here, so no unit of work)."""
    root = keys.current().index_root
    # A second entry of one transaction goes where the first went: that lane's head is
    # locked and checked already, and only this transaction can have moved it since.
    # (Under the same key: one installed meanwhile must find the head sealed by it.)
    held = session.info.get(HELD_HEAD) if isinstance(session, Session) else None
    dialect = session.dialect if isinstance(session, sa.Connection) else session.get_bind().dialect
    postgres = dialect.name == "postgresql"
    head = None
    if held is None or held[0] != root:
        head = _lock_head(session, root, new_cases, tail_later=postgres)
        held = (root, head.id, head.last_seq, head.last_hash)
    _root, lane, last_seq, last_hash = held
    entry.lane, entry.seq, entry.prev_hash = lane, last_seq + 1, last_hash
    entry.hash = entry_hash(root, last_hash, entry)
    values = {f"e_{name}": getattr(entry, name) for name in _ENTRY_COLUMNS}
    values |= {
        "h_lane": lane,
        "h_seq": entry.seq,
        "t_seq": last_seq,
        "h_hash": entry.hash,
        "h_scheme": SCHEME,
        "h_mac": head_seal(root, lane, entry.seq, entry.hash),
    }
    added, move = _append_statements(postgres)
    if move is None:
        # One statement: the entry, the head's move and the lane's tail as it was before
        # (a new statement, so a snapshot that sees the previous holder's commit).
        entry_id, at_head, beyond = session.execute(added, values).one()
        if head is not None and head.last_seq:
            _check_tail(head, at_head, beyond)  # raising rolls the entry back with the rest
        if entry_id is None:  # planted beyond a head held since this transaction's last entry
            raise AuditChainBroken(
                f"entries after {last_seq}{lane_name(lane)} exist beyond the head"
            )
        entry.id = entry_id
    else:
        entry.id = session.execute(added, values).scalar_one()
        session.execute(move, values)
    if isinstance(session, Session):
        session.info[HELD_HEAD] = (root, lane, entry.seq, entry.hash)


_ENTRY_COLUMNS = tuple(c.key for c in AuditEntry.__table__.c if c.key != "id")


@cache
def _append_statements(postgres: bool) -> tuple[sa.Executable, sa.Executable | None]:
    """The entry's insert and the head's move, built once with their values as parameters.
    On PostgreSQL both are one statement (a round trip fewer for every page view), which
    also returns the lane's tail for `_check_tail`; SQLite has no INSERT in a WITH clause,
    so there they are two, and the tail was read before."""
    table, heads = AuditEntry.__table__, AuditHead.__table__
    entry = {name: sa.bindparam(f"e_{name}", type_=table.c[name].type) for name in _ENTRY_COLUMNS}
    lane = sa.bindparam("h_lane", type_=heads.c.id.type)
    move = (
        sa.update(heads)
        .where(heads.c.id == lane)
        .values(
            last_seq=sa.bindparam("h_seq", type_=heads.c.last_seq.type),
            last_hash=sa.bindparam("h_hash", type_=heads.c.last_hash.type),
            scheme=sa.bindparam("h_scheme", type_=heads.c.scheme.type),
            mac=sa.bindparam("h_mac", type_=heads.c.mac.type),
        )
    )
    if not postgres:
        return sa.insert(table).values(entry).returning(table.c.id), move
    # An entry planted beyond the head takes the new entry's place: then nothing is added,
    # and the tail returned says why (a refusal, not a unique-key error).
    inserted = (
        postgresql.insert(table)
        .values(entry)
        .on_conflict_do_nothing(constraint="uq_audit_entries_lane_seq")
        .returning(table.c.id)
        .cte("added")
    )
    before = sa.bindparam("t_seq", type_=table.c.seq.type)
    # Every part of the statement reads the snapshot it began with: not the entry it adds.
    at_head = sa.select(table.c.hash).where(table.c.lane == lane, table.c.seq == before)
    beyond = sa.select(sa.func.count()).where(table.c.lane == lane, table.c.seq > before)
    returned = move.add_cte(inserted).returning(
        sa.select(inserted.c.id).scalar_subquery(),
        at_head.scalar_subquery(),
        beyond.scalar_subquery(),
    )
    return returned.execution_options(**{PREPARED: True}), None


# Session.info key: the lane this transaction holds: (key, lane, last seq, last hash).
HELD_HEAD = "portal.audit_head"


@event.listens_for(Session, "after_transaction_end")
def _release_head(session: Session, transaction: SessionTransaction) -> None:
    # The end of the transaction or of a savepoint (one rolled back may have taken an entry
    # with it), not of the subtransaction each flush opens.
    if transaction.nested or transaction.parent is None:
        session.info.pop(HELD_HEAD, None)


def anchor(session: Session, now: datetime | None = None) -> Anchor:
    """A sealed copy of every lane's head, for the operator to keep off the host."""
    root = keys.current().index_root
    # Lanes never written to are left out: the anchor stays short, and they hold nothing.
    heads = {
        h.id: (h.last_seq, h.last_hash)
        for h in session.scalars(sa.select(AuditHead))
        if h.last_seq or h.id == 1
    }
    return make_anchor(root, heads or {1: (0, GENESIS)}, (now or utcnow()).astimezone(UTC))


def count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0
