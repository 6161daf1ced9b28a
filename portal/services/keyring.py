"""Key rotation and verification over the whole case store."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.models.encrypted import Encrypted
from portal.models.grievances import (
    Attachment,
    CaseEvent,
    Decision,
    Grievance,
    InternalNote,
    Message,
    case_aad,
)
from portal.security.envelope import unwrap_data_key, wrap_data_key
from portal.security.errors import DecryptionError, KeyConfigError
from portal.security.keys import KeyRing
from portal.storage import EvidenceStore

ENCRYPTED_MODELS: list[type[Encrypted]] = [
    Grievance,
    CaseEvent,
    Message,
    InternalNote,
    Attachment,
    Decision,
]


def usage(session: Session) -> Counter[str]:
    """How many data keys each key-encryption key wraps."""
    rows = session.execute(
        sa.select(Grievance.dek_key_id, sa.func.count()).group_by(Grievance.dek_key_id)
    )
    return Counter({kid: n for kid, n in rows})


def pending_rewrap(session: Session, ring: KeyRing) -> int:
    return (
        session.scalar(sa.select(sa.func.count()).where(Grievance.dek_key_id != ring.active_id))
        or 0
    )


@dataclass
class RewrapProgress:
    """Where a rotation is: the last case id looked at, and cases that would not unwrap."""

    after: uuid.UUID | None = None
    skipped: list[str] = field(default_factory=list)


def rewrap_batch(
    session: Session, ring: KeyRing, progress: RewrapProgress, size: int = 1000
) -> int:
    """Rewrap up to `size` data keys under the active key; returns how many rows it looked at.

    Each batch is its own transaction at the caller, so an interrupted run loses
    nothing and a rerun picks up the rest. A case whose key does not unwrap (a
    damaged row, a missing key) is reported in `progress.skipped` and left as it
    is, so one bad row never blocks the rotation of all the others."""
    table = Grievance.__table__
    stmt = sa.select(table.c.id, table.c.dek_key_id, table.c.dek_wrapped, table.c.member_digest)
    stmt = stmt.where(table.c.dek_key_id != ring.active_id)
    if progress.after is not None:
        stmt = stmt.where(table.c.id > progress.after)
    rows = session.execute(stmt.order_by(table.c.id).limit(size)).all()
    changed = []
    for case_id, kid, wrapped, digest in rows:
        progress.after = case_id
        aad = case_aad(case_id, bytes(digest))
        try:
            dek = unwrap_data_key(ring, kid, bytes(wrapped), aad)
        except (DecryptionError, KeyConfigError) as exc:
            progress.skipped.append(f"grievances {case_id}: {exc}")
            continue
        new_kid, new_wrapped = wrap_data_key(ring, dek, aad)
        changed.append({"case": case_id, "old": kid, "kid": new_kid, "wrapped": new_wrapped})
    if changed:
        # One statement for the batch (executemany); a Core update, because the data key
        # itself is unchanged, so no version bump that would make someone's open form stale.
        session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("case"), table.c.dek_key_id == sa.bindparam("old"))
            .values(dek_key_id=sa.bindparam("kid"), dek_wrapped=sa.bindparam("wrapped")),
            changed,
        )
    return len(rows)


def check_retirable(session: Session, ring: KeyRing, kid: str) -> None:
    if kid not in ring.keys:
        raise KeyConfigError(f"there is no key {kid!r} in the ring")
    if kid == ring.active_id:
        raise KeyConfigError(f"{kid} is the active key; rotate first")
    used = usage(session).get(kid, 0)
    if used:
        raise KeyConfigError(
            f"{kid} still wraps {used} data keys; finish `flask keys rotate` first"
        )


@dataclass
class VerifyReport:
    values: int = 0
    files: int = 0
    failures: list[str] = field(default_factory=list)


def count_items(session: Session) -> int:
    return sum(
        session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for model in ENCRYPTED_MODELS
    )


def verify_all(session: Session, store: EvidenceStore, report: VerifyReport) -> Iterator[None]:
    """Decrypt every encrypted value and file; yields once per row for a progress bar."""
    for model in ENCRYPTED_MODELS:
        fields = model.encrypted_fields()
        for row in session.scalars(sa.select(model).execution_options(yield_per=200)):
            label = f"{model.__tablename__} {row.id}"
            try:
                for f in fields:
                    if getattr(row, f.column) is not None:
                        f.__get__(row, model)
                        report.values += 1
                if isinstance(row, Attachment):
                    # Reading to the end checks every chunk and the final-chunk flag.
                    for _chunk in store.read(row.storage_id, row.case_key(), row.content_aad()):
                        pass
                    report.files += 1
            except (DecryptionError, KeyConfigError, OSError) as exc:
                report.failures.append(f"{label}: {type(exc).__name__}: {exc}")
            yield None
