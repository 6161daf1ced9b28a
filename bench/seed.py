"""Seed a bench instance with a realistic association, fast, fully encrypted with its keys.

    python -m bench.seed NAME [--postgres] [--cases 100000] [--fresh]

Committees come from the policy files; chairs, reviewers, panel members, an administrator,
an auditor and about 0.4 members per case are created with known passwords (see
`PASSWORDS`, written to the instance's manifest.json for the load generator). Cases are
spread over the two years before now and played by bench/seed_work.py in worker processes
(encryption is the cost, so both cores share it); this process inserts their rows in bulk
and links their audit entries into the chain, chunk by chunk, each chunk one transaction
that also moves the chain head, so `flask audit verify` and `flask keys verify` pass at
every commit.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench.seed_accounts import LOAD_MEMBERS, PASSWORDS, create_accounts
from bench.seed_cases import Chunk, Spec, World
from bench.server import Instance, pg_database, prepare, sqlite_url

YEARS = 2
# Insert order: parents before children.
TABLES = (
    "grievances",
    "case_events",
    "messages",
    "internal_notes",
    "attachments",
    "decisions",
    "panel_seats",
    "panel_votes",
    "party_indexes",
)


@dataclass
class SeedReport:
    cases: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    open_cases: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# --- the audit chain ----------------------------------------------------------------------


def append_audit(
    conn: Connection,
    root: bytes,
    head: tuple[int, int, str],
    entries: list[tuple[datetime, int | None, str, str, str, str]],
) -> tuple[int, int, str]:
    """Link `entries` (at, actor, action, object type, object id, detail JSON) into lane
    `head[0]` of the chain after its head (lane, last seq, last hash), insert them and re-seal
    that lane's head in the same transaction; returns the new head. The one place the bench
    writes the chain, so a change of the chain's design changes only this function (and
    `audit_head`). One lane is enough: the bench is the only writer while it seeds."""
    from portal.models.audit import AuditEntry, AuditHead
    from portal.security.audit_seal import SCHEME, entry_hash, head_seal

    lane, last_seq, last_hash = head
    rows = []
    for at, actor, action, object_type, object_id, detail in entries:
        last_seq += 1
        entry = SimpleNamespace(
            lane=lane, seq=last_seq, at=at, actor_id=actor, action=action,
            object_type=object_type, object_id=object_id, detail=detail, scheme=SCHEME,
        )  # fmt: skip
        digest = entry_hash(root, last_hash, entry)
        rows.append({**vars(entry), "prev_hash": last_hash, "hash": digest})
        last_hash = digest
    if rows:  # ids come from the database, in the order written
        bulk_insert(conn, AuditEntry.__table__, rows)
        conn.execute(
            sa.update(AuditHead)
            .where(AuditHead.id == lane)
            .values(last_seq=last_seq, last_hash=last_hash, scheme=SCHEME,
                    mac=head_seal(root, lane, last_seq, last_hash))
        )  # fmt: skip
    return lane, last_seq, last_hash


def audit_head(conn: Connection, root: bytes, lane: int = 1) -> tuple[int, int, str]:
    """The sealed head of `lane` to continue from; refuses a lane the portal would refuse."""
    from portal.models.audit import AuditEntry, AuditHead
    from portal.security.audit_seal import head_is_sealed

    head = conn.execute(sa.select(AuditHead).where(AuditHead.id == lane)).one_or_none()
    if head is None or not head_is_sealed(root, head):
        raise SystemExit(f"seed: the audit chain head of lane {lane} is missing or damaged")
    beyond = conn.execute(
        sa.select(sa.func.count()).where(AuditEntry.lane == lane, AuditEntry.seq > head.last_seq)
    )
    if beyond.scalar():
        raise SystemExit(f"seed: audit entries exist beyond the head of lane {lane}")
    return lane, head.last_seq, head.last_hash


# --- cases --------------------------------------------------------------------------------


def specs(
    conn: Connection, cases: int, member_ids: list[int], names: list[str], now: datetime,
    rng: random.Random, open_share: float,
) -> tuple[list[Spec], dict[int, int]]:  # fmt: skip
    """When each case is filed, its reference and its member, in filing order."""
    from portal.models.grievances import ReferenceCounter

    span = timedelta(days=365 * YEARS).total_seconds()
    moments = sorted(now - timedelta(seconds=rng.random() * span + 600) for _ in range(cases))
    counters = dict(conn.execute(sa.select(ReferenceCounter.year, ReferenceCounter.last)).all())
    load = min(LOAD_MEMBERS, len(member_ids))
    per_load = max(3, min(30, cases // 200))
    owners = [i % load for i in range(min(cases, load * per_load))]
    rest = len(member_ids) - load
    owners += [
        load + int(rest * rng.random() ** 1.6) if rest else 0 for _ in range(cases - len(owners))
    ]
    rng.shuffle(owners)
    out = []
    for moment, owner in zip(moments, owners, strict=True):
        counters[moment.year] = counters.get(moment.year, 0) + 1
        reference = f"GRV-{moment.year}-{counters[moment.year]:06d}"
        keep = rng.random() < open_share
        out.append(Spec(moment, reference, member_ids[owner], names[owner], keep))
    return out, counters


def _save_counters(conn: Connection, counters: dict[int, int]) -> None:
    from portal.models.grievances import ReferenceCounter

    for year, last in counters.items():
        exists = conn.execute(
            sa.select(ReferenceCounter.last).where(ReferenceCounter.year == year)
        ).scalar()
        if exists is None:
            conn.execute(sa.insert(ReferenceCounter).values(year=year, last=last))
        elif exists < last:
            conn.execute(
                sa.update(ReferenceCounter).where(ReferenceCounter.year == year).values(last=last)
            )


_WORLD: World | None = None


def _make(args: tuple[list[Spec], int]) -> Chunk:
    from bench.seed_work import make_chunk

    assert _WORLD is not None
    return make_chunk(_WORLD, *args)


def _chunks(
    world: World, all_specs: list[Spec], size: int, workers: int, seed: int
) -> Iterator[Chunk]:
    global _WORLD
    _WORLD = world  # the workers are forked after this, so they inherit it and the keys
    jobs = [(all_specs[i : i + size], seed + i) for i in range(0, len(all_specs), size)]
    if workers <= 1:
        yield from map(_make, jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_make, jobs)


def bulk_insert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows fast: COPY on PostgreSQL (several times executemany's pace there),
    executemany inside the one transaction on SQLite."""
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    raw = conn.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _insert(conn: Connection, chunk: Chunk, report: SeedReport) -> None:
    from portal.db import Base

    for name in TABLES:
        rows = chunk.rows.get(name)
        if rows:
            bulk_insert(conn, Base.metadata.tables[name], rows)
            report.rows[name] += len(rows)


def seed(
    instance: Instance,
    cases: int = 100_000,
    *,
    workers: int | None = None,
    chunk: int = 250,
    open_share: float = 0.0,
    seed_value: int = 13,
    progress: bool = True,
    settings: Any = None,
) -> SeedReport:
    """Fill `instance` (prepared, empty of bench accounts) with `cases` grievances; `settings`
    replaces the instance's environment (the test suite's own settings)."""

    from portal import create_app
    from portal.config import Settings
    from portal.db import database, utcnow
    from portal.policies import current_policies
    from portal.security import keys
    from portal.services.committees import sync_from_policy
    from portal.services.policies import record_policy_version

    started = time.monotonic()
    app = create_app(settings or Settings.from_env(instance.env()))
    rng = random.Random(seed_value)
    report = SeedReport(cases=cases)
    with app.app_context():
        policies = current_policies()
        engine = database(app).engine
        now = utcnow()
        from portal import db

        session = db.session()
        sync_from_policy(session, policies, now=now)
        record_policy_version(session, policies, now=now)
        session.commit()
        root = keys.current().index_root
        with engine.begin() as conn:
            committees, by_role, panel, staff_emails, member_ids, names = create_accounts(
                conn, policies, max(LOAD_MEMBERS, int(cases * 0.4)), now, rng
            )
            all_specs, counters = specs(conn, cases, member_ids, names, now, rng, open_share)
            _save_counters(conn, counters)
        committee_names = {
            slug: (cid, str(policies.committees[slug].name)) for slug, cid in committees.items()
        }
        world = World(
            policies=policies, now=now, committees=committee_names, chairs=by_role["chair"],
            reviewers=by_role["reviewer"], panel=panel, staff_emails=staff_emails,
            evidence_dir=str(app.extensions["portal.store"].root),
            category_weights=CATEGORY_WEIGHTS,
        )  # fmt: skip
        manifest = Manifest(instance, member_ids[:LOAD_MEMBERS])
        with engine.connect() as conn:
            head = audit_head(conn, root)
        bar = _progress(cases, progress)
        workers = workers or os.cpu_count() or 1
        for done in _chunks(world, all_specs, chunk, workers, seed_value):
            with engine.begin() as conn:
                _insert(conn, done, report)
                head = append_audit(conn, root, head, done.audit)
            report.rows["audit_entries"] += len(done.audit)
            manifest.note(done)
            bar.update(len(done.cases))
            bar.set_postfix_str(f"{report.total_rows / (time.monotonic() - started):,.0f} rows/s")
        bar.close()
        # The rows were inserted without the ORM, so the dashboard's ledger (which follows
        # every flush) is written from them once, as `flask kpis rebuild` does.
        from portal.services import kpi_rebuild

        kpi_rebuild.rebuild(session, policies.calendar)
        manifest.decided = _decided_cases(session, Manifest.COMMITTEE)
        session.commit()
        with engine.begin() as conn:
            head = append_audit(conn, root, head, [_seeded_entry(cases)])
            conn.exec_driver_sql("ANALYZE")  # as autovacuum would, before anyone measures
        report.open_cases = manifest.open_cases
        report.seconds = time.monotonic() - started
        manifest.write(report)
    engine.dispose()
    return report


def _progress(total: int, shown: bool) -> Any:
    """tqdm's bar (a bench dependency), or a silent stand-in (the test suite has no tqdm)."""
    if shown:
        from tqdm import tqdm

        return tqdm(total=total, unit="case", file=sys.stderr, smoothing=0.05)
    return SimpleNamespace(
        update=lambda n: None, set_postfix_str=lambda s: None, close=lambda: None
    )


# Shares of the categories in a year's grievances (billing and benefits are most of them).
CATEGORY_WEIGHTS = {
    "billing": 0.26, "benefits": 0.22, "events": 0.16, "ethics": 0.12, "governance": 0.09,
    "harassment": 0.07, "privacy": 0.08,
}  # fmt: skip


def _seeded_entry(cases: int) -> tuple[datetime, None, str, str, str, str]:
    from datetime import UTC

    at = datetime.now(UTC).replace(microsecond=0)
    return (at, None, "bench.seeded", "system", "bench", json.dumps({"cases": cases}))


# Survey answers join here once the portal has a survey table (a later issue): one survey per
# resolved case, answered by about a third of members, written like the other rows in
# bench/seed_work.py (Casework.after_decision) and inserted by listing the table in TABLES.
SURVEY_TABLE = None


def _decided_cases(session: Any, committee: str, count: int = 64) -> list[str]:
    """Decided cases of `committee` its first chair may open: their letters are timed."""
    from portal.models.committees import Committee
    from portal.models.grievances import Grievance
    from portal.models.users import User
    from portal.services import conflicts

    chair = session.scalar(
        sa.select(User).where(User.email_key == f"chair1.{committee}@bench.example")
    )
    if chair is None:
        return []
    return list(
        session.scalars(
            sa.select(Grievance.reference)
            .join(Committee, Committee.id == Grievance.committee_id)
            .where(
                Committee.slug == committee,
                Grievance.resolved_at.is_not(None),
                sa.not_(conflicts.excluded_clause(chair)),
            )
            .order_by(Grievance.reference)
            .limit(count)
        )
    )


class Manifest:
    """What the load generator needs: accounts, passwords and case references to visit."""

    COMMITTEE = "member-services"  # the busiest committee: its reviewer's queue is the one timed

    def __init__(self, instance: Instance, load_member_ids: list[int]) -> None:
        self.instance = instance
        self.load_ids = {uid: i for i, uid in enumerate(load_member_ids)}
        self.member_cases: dict[int, list[str]] = {i: [] for i in range(len(load_member_ids))}
        self.committee_open: list[str] = []
        self.committee_closed: list[str] = []
        self.open_cases = 0
        self.decided: list[str] = []

    def note(self, chunk: Chunk) -> None:
        for reference, committee, is_open, conflicted, member_id in chunk.cases:
            self.open_cases += is_open
            if member_id in self.load_ids:
                self.member_cases[self.load_ids[member_id]].append(reference)
            if committee == self.COMMITTEE and not conflicted:
                bucket = self.committee_open if is_open else self.committee_closed
                if len(bucket) < 5000:
                    bucket.append(reference)

    def write(self, report: SeedReport) -> None:
        rng = random.Random(7)
        pick = rng.sample(self.committee_open, min(64, len(self.committee_open)))
        pick += rng.sample(self.committee_closed, min(64, len(self.committee_closed)))
        body = {
            "cases": report.cases,
            "open_cases": report.open_cases,
            "seconds": round(report.seconds, 1),
            "rows": dict(report.rows),
            "passwords": PASSWORDS,
            "reviewer": f"reviewer1.{self.COMMITTEE}@bench.example",
            "chair": f"chair1.{self.COMMITTEE}@bench.example",
            "committee_cases": pick,
            "decided_cases": self.decided,
            "members": [
                {"email": f"member{i + 1:06d}@bench.example", "cases": refs}
                for i, refs in sorted(self.member_cases.items())
            ],
        }
        path = self.instance.path / "manifest.json"
        path.write_text(json.dumps(body, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed", description=__doc__.split("\n")[0]
    )
    parser.add_argument("name", help="instance name (bench/work/NAME/)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--postgres", action="store_true", help="a PostgreSQL database (else SQLite)"
    )
    parser.add_argument("--database", help="a database URL instead")
    parser.add_argument("--fresh", action="store_true", help="remove the instance first")
    parser.add_argument("--workers", type=int, default=None, help="processes encrypting (cores)")
    parser.add_argument("--open-share", type=float, default=0.0,
                        help="share of cases kept open before their decision (default: as time leaves them)")  # fmt: skip
    args = parser.parse_args(argv)
    backend = "postgresql" if args.postgres else "sqlite"
    if args.database:
        url = args.database
    elif args.postgres:
        url = pg_database(f"portal_bench_{args.name}".replace("-", "_"), fresh=args.fresh)
    else:
        url = sqlite_url(args.name)
    del backend
    instance = prepare(args.name, url, fresh=args.fresh)
    report = seed(instance, args.cases, workers=args.workers, open_share=args.open_share)
    rate = report.total_rows / report.seconds
    print(
        f"seeded {report.cases:,} cases ({report.open_cases:,} open), {report.total_rows:,} rows "
        f"in {report.seconds:.1f} s: {report.cases / report.seconds:,.0f} cases/s, {rate:,.0f} rows/s"
    )
    for table, count in sorted(report.rows.items()):
        print(f"  {table:<16} {count:>10,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
