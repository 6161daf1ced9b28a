"""Refusing keys that are not the ones this database was sealed with.

A key file lost and recreated (`flask keys init` on a live installation), or a
wrong but well-formed key, would otherwise start: old cases would fail to open,
new ones would be sealed under a different key with the same id, and blind
indexes and the audit chain would change keys without a word. The database keeps
a check value per key; start-up compares, and refuses on any mismatch.
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from portal.db import READ_ONLY, insert_for
from portal.models.audit import AuditEntry
from portal.models.grievances import Grievance
from portal.models.keychecks import KeyCheck
from portal.security.envelope import encode_parts
from portal.security.errors import KeyConfigError
from portal.security.keys import KeyMaterial, derive_key
from portal.services import audit

INDEX_ID = "root"
_RESTORE = (
    "restore the key files (instance/keys/ or the PORTAL_* key variables) from the backup "
    "of this installation; do not run `flask keys init`, which would make a new, different key"
)


def check_value(kind: str, key_id: str, key: bytes) -> str:
    subkey = key if kind == "kek" else derive_key(key, "key-check")
    return hmac.new(
        subkey, encode_parts("portal-key-check", kind, key_id), hashlib.sha256
    ).hexdigest()


def holds_data(conn: Connection) -> bool:
    """Whether anything in this database was sealed by the keys (tables may not exist yet)."""
    inspector = sa.inspect(conn)
    for model in (Grievance, AuditEntry, KeyCheck):
        if (
            inspector.has_table(model.__tablename__)
            and conn.execute(sa.select(sa.exists().select_from(model))).scalar()
        ):
            return True
    return False


def url_holds_data(url: str) -> bool:
    """`holds_data` for a database URL; a database that cannot be opened holds nothing yet."""
    from portal.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            return holds_data(conn)
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _insert(session: Session, rows: list[dict[str, str]]) -> None:
    # Two workers starting at once both register: the second insert is a no-op.
    session.execute(insert_for(session)(KeyCheck).values(rows).on_conflict_do_nothing())


def missing_checks(session: Session, material: KeyMaterial) -> list[dict[str, str]]:
    """Check rows for keys not yet known (the first start, a rotated-in key)."""
    known = {(r.kind, r.key_id) for r in session.scalars(sa.select(KeyCheck))}
    wanted = [("index", INDEX_ID, material.index_root)]
    wanted += [("kek", kid, key) for kid, key in material.ring.keys.items()]
    return [
        {"kind": kind, "key_id": kid, "value": check_value(kind, kid, key)}
        for kind, kid, key in wanted
        if (kind, kid) not in known
    ]


def register(session: Session, material: KeyMaterial) -> None:
    if rows := missing_checks(session, material):
        _insert(session, rows)


def verify(session: Session, material: KeyMaterial) -> None:
    """Raise KeyConfigError unless the loaded keys are the ones that sealed this database."""
    checks = {(r.kind, r.key_id): r.value for r in session.scalars(sa.select(KeyCheck))}
    index = checks.get(("index", INDEX_ID))
    if index is not None and not hmac.compare_digest(
        index, check_value("index", INDEX_ID, material.index_root)
    ):
        raise KeyConfigError(
            f"the index key is not the one this database was set up with; {_RESTORE}"
        )
    for kid, key in material.ring.keys.items():
        stored = checks.get(("kek", kid))
        if stored is not None and not hmac.compare_digest(stored, check_value("kek", kid, key)):
            raise KeyConfigError(
                f"key {kid} in the key ring is not the key {kid} this database was sealed "
                f"with; {_RESTORE}"
            )
    used = set(session.scalars(sa.select(Grievance.dek_key_id).distinct()))
    missing = sorted(used - set(material.ring.keys))
    if missing:
        raise KeyConfigError(
            f"the key ring lacks {', '.join(missing)}, which seal cases in this database; "
            f"{_RESTORE}"
        )


def check_at_startup(engine: Engine, material: KeyMaterial) -> None:
    """Verify the keys, then record any new ones; skipped before migrations ran.

    The check only reads, so it never waits behind a writer; the rare
    registration (first start, after a rotation) is its own short write."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        session = Session(bind=conn)
        if not sa.inspect(conn).has_table(KeyCheck.__tablename__):
            if holds_data(conn):
                raise KeyConfigError(
                    "the database schema is out of date; run `alembic upgrade head`"
                )
            return
        verify(session, material)
        rows = missing_checks(session, material)
        one_lane = audit.lanes_missing(session)
        session.close()
    if rows or one_lane:
        with Session(engine) as session, session.begin():
            if rows:
                _insert(session, rows)
            # On the first start, seal the empty audit chain while the keys are at hand;
            # a log that began before lanes gets its other lanes.
            audit.create_genesis(session, material.index_root)
            audit.open_lanes(session, material.index_root)
