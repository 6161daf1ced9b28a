"""The seeded association's people: staff on every committee, the panel, oversight, members.

Everyone of a kind shares one password (argon2 at the portal's real strength takes a tenth
of a second per hash, so 40,000 members get one hash between them); `PASSWORDS` goes into
the instance's manifest for the load generator.
"""

from __future__ import annotations

import random
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench import seed_texts as texts
from bench.seed_cases import Staff

PASSWORDS = {
    "member": "bench-member-passphrase",
    "staff": "bench-staff-passphrase",
    "oversight": "bench-oversight-passphrase",
}
CHAIRS, REVIEWERS, PANEL = 2, 6, 5  # per committee, and on the board's panel
LOAD_MEMBERS = 16  # members the load generator signs in as, each with a full "My grievances"


def _insert_users(
    conn: Connection, people: list[dict[str, Any]], role_of: list[str], argon2_hash: list[str]
) -> list[int]:
    """Insert these accounts, then seal each one's password hash to its row."""
    from portal.models.users import User, UserRole
    from portal.security.passwords import seal

    conn.execute(User.__table__.insert(), people)
    keys = [p["email_key"] for p in people]
    found = dict(
        conn.execute(sa.select(User.email_key, User.id).where(User.email_key.in_(keys))).all()
    )
    ids = [found[k] for k in keys]
    users = User.__table__
    conn.execute(
        users.update().where(users.c.id == sa.bindparam("uid")),
        [
            {"uid": uid, "password_hash": seal(h, SimpleNamespace(id=uid, email_key=key))}
            for uid, key, h in zip(ids, keys, argon2_hash, strict=True)
        ],
    )
    roles = [{"user_id": uid, "role": role} for uid, role in zip(ids, role_of, strict=True)]
    conn.execute(UserRole.__table__.insert(), roles)
    return ids


def _person(email: str, name: str, now: datetime, number: str | None = None):  # type: ignore[no-untyped-def]
    return {
        "email": email, "email_key": email.casefold(), "full_name": name,
        "member_number": number, "password_hash": None, "active": True,
        "timezone": None, "language": None, "created_at": now, "last_login_at": None,
        # Confirmed when they signed up (an unconfirmed address may not file).
        "email_confirmed_at": now,
    }  # fmt: skip


def create_accounts(
    conn: Connection, policies: Any, members: int, now: datetime, rng: random.Random
):  # type: ignore[no-untyped-def]
    """Staff per committee, the panel, oversight and `members` members; returns what the
    stories and the manifest need."""
    from portal.models.committees import Committee, CommitteeMembership
    from portal.security.passwords import unsealed_hash

    hashes = {kind: unsealed_hash(pw) for kind, pw in PASSWORDS.items()}
    committees = dict(conn.execute(sa.select(Committee.slug, Committee.id)).all())
    staff, roles, seats = [], [], []
    for slug in policies.committees:
        for kind, count in (("chair", CHAIRS), ("reviewer", REVIEWERS)):
            for i in range(1, count + 1):
                staff.append(_person(f"{kind}{i}.{slug}@bench.example", texts.person(rng), now))
                roles.append(kind)
                seats.append((slug, kind))
    for i in range(1, PANEL + 1):
        staff.append(_person(f"panel{i}@bench.example", texts.person(rng), now))
        roles.append("panel")
    for role in ("administrator", "auditor"):
        staff.append(_person(f"{role}@bench.example", texts.person(rng), now))
        roles.append(role)
    oversight = ("administrator", "auditor")
    kinds = ["oversight" if role in oversight else "staff" for role in roles]
    ids = _insert_users(conn, staff, roles, [hashes[kind] for kind in kinds])
    by_role: dict[str, dict[str, list[Staff]]] = {"chair": {}, "reviewer": {}}
    memberships = []
    for uid, person, (slug, kind) in zip(ids, staff, seats, strict=False):
        memberships.append({"committee_id": committees[slug], "user_id": uid, "seat": kind})
        by_role[kind].setdefault(slug, []).append(Staff(uid, person["full_name"]))
    conn.execute(CommitteeMembership.__table__.insert(), memberships)
    panel = [
        Staff(uid, p["full_name"])
        for uid, p, r in zip(ids, staff, roles, strict=True)
        if r == "panel"
    ]
    people = [
        _person(f"member{i:06d}@bench.example", texts.person(rng), now, f"B-{i:07d}")
        for i in range(1, members + 1)
    ]
    member_ids: list[int] = []
    for start in range(0, len(people), 5000):
        batch = people[start : start + 5000]
        member_ids += _insert_users(
            conn, batch, ["member"] * len(batch), [hashes["member"]] * len(batch)
        )
    names = [p["full_name"] for p in people]
    return committees, by_role, panel, [p["email_key"] for p in staff], member_ids, names
