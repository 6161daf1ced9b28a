"""Key rotation and verification over the whole case store (cases and survey answers)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
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
from portal.models.surveys import SurveyAnswer, answer_aad
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
    SurveyAnswer,
]


@dataclass(frozen=True)
class WrappedKeys:
    """A table whose rows carry a data key wrapped by a KEK, and what each wrap is bound to."""

    table: sa.Table
    aad: Callable[[sa.Row[Any]], bytes]
    bound: tuple[str, ...] = ()  # the columns `aad` reads, besides the id


# Cases, and survey answers with a comment (their key is their own: see models/surveys.py).
HOLDERS = (
    WrappedKeys(
        Grievance.__table__,
        lambda row: case_aad(row.id, bytes(row.member_digest)),
        ("member_digest",),
    ),
    WrappedKeys(SurveyAnswer.__table__, lambda row: answer_aad(row.id)),
)


def usage(session: Session) -> Counter[str]:
    """How many data keys each key-encryption key wraps."""
    found: Counter[str] = Counter()
    for holder in HOLDERS:
        kid = holder.table.c.dek_key_id
        rows = session.execute(
            sa.select(kid, sa.func.count()).where(kid.is_not(None)).group_by(kid)
        )
        found.update({k: n for k, n in rows})
    return found


def pending_rewrap(session: Session, ring: KeyRing) -> int:
    return sum(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(holder.table)
            .where(holder.table.c.dek_key_id != ring.active_id)
        )
        or 0
        for holder in HOLDERS
    )


@dataclass
class RewrapProgress:
    """Where a rotation is: the table and last row id looked at, and keys that would not unwrap."""

    after: uuid.UUID | None = None
    holder: int = 0
    skipped: list[str] = field(default_factory=list)


def rewrap_batch(
    session: Session, ring: KeyRing, progress: RewrapProgress, size: int = 1000
) -> int:
    """Rewrap up to `size` data keys under the active key; returns how many rows it looked at
    (0 once every table is done).

    Each batch is its own transaction at the caller, so an interrupted run loses
    nothing and a rerun picks up the rest. A row whose key does not unwrap (a
    damaged row, a missing key) is reported in `progress.skipped` and left as it
    is, so one bad row never blocks the rotation of all the others."""
    while progress.holder < len(HOLDERS):
        holder = HOLDERS[progress.holder]
        table = holder.table
        columns = [table.c.id, table.c.dek_key_id, table.c.dek_wrapped]
        stmt = sa.select(*columns, *(table.c[b] for b in holder.bound))
        stmt = stmt.where(table.c.dek_key_id != ring.active_id)
        if progress.after is not None:
            stmt = stmt.where(table.c.id > progress.after)
        rows = session.execute(stmt.order_by(table.c.id).limit(size)).all()
        if not rows:
            progress.holder, progress.after = progress.holder + 1, None
            continue
        changed = []
        for row in rows:
            progress.after = row.id
            aad = holder.aad(row)
            try:
                dek = unwrap_data_key(ring, row.dek_key_id, bytes(row.dek_wrapped), aad)
            except (DecryptionError, KeyConfigError) as exc:
                progress.skipped.append(f"{table.name} {row.id}: {exc}")
                continue
            new_kid, new_wrapped = wrap_data_key(ring, dek, aad)
            changed.append(
                {"rid": row.id, "old": row.dek_key_id, "kid": new_kid, "wrapped": new_wrapped}
            )
        if changed:
            # A Core update, because the data key itself is unchanged, so no version bump that
            # would make someone's open form stale.
            if session.get_bind().dialect.name == "postgresql":
                session.execute(_rewrap_at_once(table), _as_arrays(changed))
            else:
                session.execute(_rewrap_each(table), changed)  # executemany, in process
        return len(rows)
    return 0


def _rewrap_each(table: sa.Table) -> sa.Update:
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("rid"), table.c.dek_key_id == sa.bindparam("old"))
        .values(dek_key_id=sa.bindparam("kid"), dek_wrapped=sa.bindparam("wrapped"))
    )


def _rewrap_at_once(table: sa.Table) -> sa.Update:
    """The batch as one statement joined to its values (`unnest` of four arrays): PostgreSQL
    parses and plans it once, where an executemany is a thousand statements (4,500 keys a
    second at 100,000 cases, against about 11,000 for this)."""
    t = table.c
    columns = {"rid": t.id, "old": t.dek_key_id, "kid": t.dek_key_id, "wrapped": t.dek_wrapped}
    arrays = [sa.bindparam(n, type_=postgresql.ARRAY(c.type)) for n, c in columns.items()]
    given = (
        sa.func.unnest(*arrays)
        .table_valued(*(sa.column(n, c.type) for n, c in columns.items()))
        .render_derived(name="given")
    )
    return (
        sa.update(table)
        .where(table.c.id == given.c.rid, table.c.dek_key_id == given.c.old)
        .values(dek_key_id=given.c.kid, dek_wrapped=given.c.wrapped)
    )


def _as_arrays(changed: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [one[name] for one in changed] for name in ("rid", "old", "kid", "wrapped")}


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
