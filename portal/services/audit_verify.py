"""Verifying the audit log: walk every lane's chain, check each head and the anchor.

`verify` finds any edit, gap, reordering, cut tail or wiped log; with an anchor
taken earlier it also proves nothing before the anchor changed, which a replayed
old head or a wiped log sealed by the real key cannot hide.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.models.audit import AuditEntry, AuditHead
from portal.models.grievances import Grievance
from portal.security import keys
from portal.security.audit_seal import GENESIS, Anchor, entry_hash, head_is_sealed
from portal.services.audit import LANES_OPENED, holds_cases, lane_name

__all__ = ["Problem", "verify"]


@dataclass(frozen=True)
class Problem:
    entry_id: int | None  # the entry's position in its lane
    reason: str
    lane: int = 1

    def __str__(self) -> str:
        if self.entry_id is None:
            where = "log" if self.lane == 1 else f"lane {self.lane}"
        else:
            where = f"entry {self.entry_id}{lane_name(self.lane)}"
        return f"{where}: {self.reason}"


def verify(
    session: Session, batch: int = 1000, anchor: Anchor | None = None
) -> Iterator[int | Problem]:
    """Walk each lane in order, yielding each verified position or the problems found.

    With an `anchor` taken earlier, also prove each lane still reaches the
    anchored entry with the anchored hash, and that no head is older than the
    anchor: a wiped log or a replayed old head is caught even though both seal
    correctly."""
    root = keys.current().index_root
    heads = {
        h.id: h
        for h in session.scalars(sa.select(AuditHead).execution_options(populate_existing=True))
    }
    in_use = set(session.scalars(sa.select(AuditEntry.lane).distinct()))
    lanes = sorted(set(heads) | in_use | set(range(1, _lanes_opened(session) + 1)) | {1})
    total = 0
    for lane in lanes:
        anchored = anchor.heads.get(lane) if anchor else None
        last_seq, last_hash = yield from _walk(session, root, lane, batch, anchored)
        total += last_seq
        yield from _verify_head(root, lane, heads.get(lane), last_seq, last_hash)
    if total == 0 and holds_cases(session):
        yield Problem(None, "the log is empty while the database holds cases (it was wiped)")
        return
    unfiled, gone = _filings_against_cases(session)
    if unfiled:
        yield Problem(
            None,
            f"{unfiled} cases have no filing entry: entries were removed "
            "(an older head may have been put back)",
        )
    if gone:
        yield Problem(
            None, f"{gone} cases filed are gone from the database: their rows were deleted"
        )


def _walk(
    session: Session,
    root: bytes,
    lane: int,
    batch: int,
    anchored: tuple[int, str] | None,
) -> Generator[int | Problem, None, tuple[int, str]]:
    """One lane's chain in order; returns the position and hash of its last entry."""
    table = AuditEntry.__table__
    expected, prev, last_seq = 1, GENESIS, 0
    anchored_seen = anchored is None or anchored[0] == 0
    while True:
        rows = session.execute(
            sa.select(table)
            .where(table.c.lane == lane, table.c.seq > last_seq)
            .order_by(table.c.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            seq = entry.seq
            if seq != expected:
                yield Problem(seq, f"entries {expected} to {seq - 1} are missing", lane)
            elif entry.prev_hash != prev:
                yield Problem(
                    seq, "does not follow the entry before it (reordered or replaced)", lane
                )
            elif entry.hash != entry_hash(root, prev, entry):
                yield Problem(seq, "was edited after it was written", lane)
            else:
                yield seq
            if anchored is not None and seq == anchored[0]:
                anchored_seen = True
                if anchored[1] and entry.hash != anchored[1]:
                    yield Problem(seq, "differs from the anchor: history was rewritten", lane)
            expected, prev, last_seq = seq + 1, entry.hash, seq
    if anchored is not None and not anchored_seen:
        yield Problem(
            anchored[0],
            "named by the anchor is gone: the log was cut or wiped since then",
            lane,
        )
    return last_seq, prev


def _lanes_opened(session: Session) -> int:
    """How many lanes the log says it opened (1 if it never said)."""
    detail = session.scalar(
        sa.select(AuditEntry.detail)
        .where(AuditEntry.action == LANES_OPENED)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return int(json.loads(detail).get("lanes", 1)) if detail else 1


def _filings_against_cases(session: Session) -> tuple[int, int]:
    """Cases whose `case.filed` entry is gone (a cut tail under a replayed head), and cases
    filed whose row is gone: nothing in the portal deletes a case, and since references may
    have gaps (a filing that failed after taking its number) only the log can tell."""
    filed = sa.select(AuditEntry.object_id).where(
        AuditEntry.object_type == "grievance", AuditEntry.action == "case.filed"
    )
    cases = {str(case_id) for case_id in session.scalars(sa.select(Grievance.id))}
    entries = set(session.scalars(filed))
    return len(cases - entries), len(entries - cases)


def _verify_head(
    root: bytes, lane: int, head: AuditHead | None, last_seq: int, last_hash: str
) -> Iterator[Problem]:
    where = "the chain head" if lane == 1 else f"the head of lane {lane}"
    if head is None:
        if last_seq or lane != 1:
            yield Problem(
                None, f"{where} is missing (the newest entries may have been removed)", lane
            )
    elif not head_is_sealed(root, head):
        yield Problem(None, f"{where} was altered (the newest entries may have been removed)", lane)
    elif head.last_seq != last_seq or head.last_hash != last_hash:
        if head.last_seq < last_seq:
            yield Problem(None, f"the head was moved back to entry {head.last_seq}", lane)
        else:
            yield Problem(None, f"the newest entries after {last_seq} were removed", lane)
