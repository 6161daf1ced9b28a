"""Seal visibility flags and the member link into the ciphertext; key checks; audit schemes

Revision ID: b7c41e2d9a10
Revises: eea97d4eb92b
Create Date: 2026-12-01 08:20:00

What changes for a database writer without the keys:

* `grievances.member_id` (a plain join from a case to its member) becomes
  `member_digest`, a keyed index, plus `member_ref_ct`, the user id encrypted;
  the case's data key is rewrapped bound to the digest, and the member's own
  messages, files and timeline steps no longer carry the member's user id.
* Every encrypted field is re-sealed in format 2: length-prefixed associated
  data naming the flag that governs it (`case_events.public`,
  `messages.from_member`, `attachments.from_member`, `grievances.identity_hidden`).
* `attachments.sha256` (a plaintext fingerprint of each evidence file) is dropped.
* `key_checks` holds a check value per key; audit entries and the head get a
  `scheme` (existing ones stay scheme 1, under the key they were written with).

Re-sealing needs the keys: they are read the way the portal reads them
(instance/keys/ or PORTAL_* variables). A database without cases needs none.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

revision: str = "b7c41e2d9a10"
down_revision: str | None = "eea97d4eb92b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (encrypted fields, the flag bound to them or None)
FIELDS: dict[str, list[tuple[str, str | None]]] = {
    "grievances": [
        ("subject", None),
        ("narrative", None),
        ("people_involved", None),
        ("desired_outcome", None),
        ("triage_reason", None),
        ("acknowledgement", None),
    ],
    "case_events": [("detail", "public")],
    "messages": [("body", "from_member")],
    "internal_notes": [("body", None)],
    "attachments": [("filename", "from_member"), ("content_type", "from_member")],
    "decisions": [("outcome", None), ("rationale", None), ("remedy", None)],
}


def _parts(*parts: str) -> bytes:
    out = bytearray()
    for part in parts:
        raw = part.encode("utf-8")
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def _open_v1(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if blob[0] != 1:
        raise RuntimeError("expected a format 1 ciphertext")
    return AESGCM(key).decrypt(blob[1:13], blob[13:], aad)


def _seal_v2(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return bytes([2]) + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _field_aad(table: str, column: str, row_id: str, *bound: str) -> bytes:
    return _parts("field", table, column, row_id, "2", *bound)


def _load_keys():  # type: ignore[no-untyped-def]
    material = context.config.attributes.get("keys")
    if material is not None:
        return material
    from portal.config import Settings
    from portal.security.keys import load_keys

    return load_keys(Settings.from_env().keys_dir, os.environ)


def upgrade() -> None:
    op.create_table(
        "key_checks",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key_id", name=op.f("pk_key_checks")),
    )
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(sa.Column("scheme", sa.SmallInteger(), nullable=False, server_default="1"))
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("scheme", sa.SmallInteger(), nullable=False, server_default="1"))
    with op.batch_alter_table("grievances") as batch:
        batch.add_column(sa.Column("member_digest", sa.LargeBinary(length=32), nullable=True))
        batch.add_column(sa.Column("member_ref_ct", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.alter_column("author_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("attachments") as batch:
        batch.alter_column("uploaded_by_id", existing_type=sa.Integer(), nullable=True)
        batch.drop_column("sha256")

    _reseal(op.get_bind())

    with op.batch_alter_table("grievances") as batch:
        batch.drop_index("ix_grievances_member_activity")
        batch.drop_constraint("fk_grievances_member_id_users", type_="foreignkey")
        batch.drop_column("member_id")
        batch.alter_column("member_digest", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch.alter_column("member_ref_ct", existing_type=sa.LargeBinary(), nullable=False)
        batch.create_index(
            "ix_grievances_member_activity", ["member_digest", "last_activity_at"], unique=False
        )


def _reseal(conn: sa.Connection) -> None:
    grievances = sa.table(
        "grievances",
        sa.column("id", sa.Uuid()),
        sa.column("member_id", sa.Integer()),
        sa.column("identity_hidden", sa.Boolean()),
        sa.column("dek_key_id", sa.String()),
        sa.column("dek_wrapped", sa.LargeBinary()),
        sa.column("member_digest", sa.LargeBinary()),
        sa.column("member_ref_ct", sa.LargeBinary()),
        *(sa.column(f"{f}_ct", sa.LargeBinary()) for f, _ in FIELDS["grievances"]),
    )
    cases = conn.execute(sa.select(grievances)).mappings().all()
    if not cases:
        return
    from portal.security.keys import derive_key

    material = _load_keys()
    ring, root = material.ring, material.index_root
    member_key = derive_key(root, "blind-index:case-member")
    deks: dict[uuid.UUID, bytes] = {}
    members: dict[uuid.UUID, int] = {}
    for case in cases:
        case_id = case["id"]
        kid = case["dek_key_id"]
        wrapped = bytes(case["dek_wrapped"])
        try:
            dek = AESGCM(ring.get(kid)).decrypt(
                wrapped[:12], wrapped[12:], f"grievance|{case_id}".encode()
            )
        except InvalidTag:
            raise RuntimeError(
                f"case {case_id}: its data key does not unwrap with key {kid}; restore the "
                "key files of this installation before migrating"
            ) from None
        deks[case_id], members[case_id] = dek, case["member_id"]
        digest = hmac.new(member_key, str(case["member_id"]).encode(), hashlib.sha256).digest()
        wrap_aad = _parts("case-data-key", ring.active_id, "2") + _parts(
            "grievance", str(case_id), digest.hex()
        )
        nonce = secrets.token_bytes(12)
        new_wrapped = (
            bytes([2]) + nonce + AESGCM(ring.keys[ring.active_id]).encrypt(nonce, dek, wrap_aad)
        )
        hidden = f"identity_hidden={int(bool(case['identity_hidden']))}"
        values: dict[str, object] = {
            "dek_key_id": ring.active_id,
            "dek_wrapped": new_wrapped,
            "member_digest": digest,
            "member_ref_ct": _seal_v2(
                dek,
                str(case["member_id"]).encode(),
                _field_aad("grievances", "member_ref", str(case_id), hidden),
            ),
        }
        for name, _flag in FIELDS["grievances"]:
            blob = case[f"{name}_ct"]
            if blob is not None:
                aad_v1 = f"grievances|{name}|{case_id}|1".encode()
                plain = _open_v1(dek, bytes(blob), aad_v1)
                values[f"{name}_ct"] = _seal_v2(
                    dek, plain, _field_aad("grievances", name, str(case_id))
                )
        conn.execute(sa.update(grievances).where(grievances.c.id == case_id).values(**values))

    for table_name, fields in FIELDS.items():
        if table_name == "grievances":
            continue
        flag = fields[0][1]
        extra = [flag] if flag else []
        if table_name in ("messages",):
            extra.append("author_id")
        if table_name == "attachments":
            extra.append("uploaded_by_id")
        if table_name == "case_events":
            extra.append("actor_id")
        cols = [sa.column("id", sa.Uuid()), sa.column("grievance_id", sa.Uuid())]
        cols += [sa.column(f"{f}_ct", sa.LargeBinary()) for f, _ in fields]
        cols += [sa.column(c, sa.Boolean() if c == flag else sa.Integer()) for c in extra]
        table = sa.table(table_name, *cols)
        for row in conn.execute(sa.select(table)).mappings().all():
            dek = deks[row["grievance_id"]]
            values = {}
            bound = [f"{flag}={int(bool(row[flag]))}"] if flag else []
            for name, _flag in fields:
                blob = row[f"{name}_ct"]
                if blob is not None:
                    plain = _open_v1(
                        dek, bytes(blob), f"{table_name}|{name}|{row['id']}|1".encode()
                    )
                    values[f"{name}_ct"] = _seal_v2(
                        dek, plain, _field_aad(table_name, name, str(row["id"]), *bound)
                    )
            # The member's own rows stop naming the member (see the models).
            member = members[row["grievance_id"]]
            if table_name == "messages" and row["from_member"]:
                values["author_id"] = None
            if table_name == "attachments" and row["from_member"]:
                values["uploaded_by_id"] = None
            if table_name == "case_events" and row["actor_id"] == member:
                values["actor_id"] = None
            if values:
                conn.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT COUNT(*) FROM grievances")).scalar():
        raise RuntimeError(
            "cannot downgrade a database that holds cases: their member link and seals "
            "exist only in the new format; restore the pre-upgrade backup instead"
        )
    with op.batch_alter_table("grievances") as batch:
        batch.drop_index("ix_grievances_member_activity")
        batch.drop_column("member_ref_ct")
        batch.drop_column("member_digest")
        batch.add_column(sa.Column("member_id", sa.Integer(), nullable=False))
        batch.create_foreign_key("fk_grievances_member_id_users", "users", ["member_id"], ["id"])
        batch.create_index(
            "ix_grievances_member_activity", ["member_id", "last_activity_at"], unique=False
        )
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(
            sa.Column("sha256", sa.String(length=64), nullable=False, server_default="")
        )
        batch.alter_column("uploaded_by_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("messages") as batch:
        batch.alter_column("author_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("scheme")
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("scheme")
    op.drop_table("key_checks")
