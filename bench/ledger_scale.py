"""The KPI dashboard over a million grievances' ledger, timed in process.

The dashboard reads only the daily ledger (portal/models/kpi_ledger.py), never the case rows,
so its cost at a million grievances is the cost of summing what a million cases leave in the
ledger. Seeding a million encrypted cases takes the harness hours; this writes the ledger a
million cases would leave (two years, the seeder's category shares, every channel and
priority, nine in ten decided, with working hours spread around the promises) through the
portal's own `share` and `Moves`, in an instance of its own, and times the chair's dashboard
(the last 90 days) and an administrator's (the last 12 months, every committee) through the
Flask test client: the view, the SQL, the tables, the charts and the template, without HTTP.

    python -m bench.ledger_scale [--postgres] [--cases 1000000]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from bench.seed import CATEGORY_WEIGHTS
from bench.server import database_url, prepare

CHANNELS = {"web": 0.7, "email": 0.12, "phone": 0.1, "letter": 0.04, "in_person": 0.04}
PASSWORD = "ledger-scale-bench"  # noqa: S105  (a made-up account of a throwaway instance)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def synthetic_moves(policies: Any, committees: dict[str, int], cases: int, today: date) -> Any:
    """The ledger differences of `cases` made-up grievances filed over the two years to today."""
    from portal.models.kpi_ledger import Moves, share

    rng = random.Random(11)
    moves = Moves()
    causes = list(policies.root_causes)
    for _ in range(cases):
        category = _pick(rng, CATEGORY_WEIGHTS)
        slug = policies.categories[category].committee
        age = int(rng.random() * 730)
        decided = (age > 20 and rng.random() < 0.9) or rng.random() < 0.3
        withdrawn = not decided and rng.random() < 0.05
        values = {
            "filed_on": today - timedelta(days=age),
            "committee_id": committees[slug],
            "category": category,
            "channel": _pick(rng, CHANNELS),
            "priority": policies.categories[category].default_priority,
            "status": "closed" if decided else "withdrawn" if withdrawn else "under_review",
            "is_open": not decided and not withdrawn,
            "resolved_at": True if decided else None,
            "escalated_at": True if rng.random() < 0.05 else None,
            "appealed_at": True if decided and rng.random() < 0.04 else None,
            "is_repeat": rng.random() < 0.08,
            "first_response_at": True,
            "first_response_breached_at": None,
            "first_response_met": rng.random() < 0.85,
            "first_response_hours": rng.lognormvariate(1.2, 0.9),
            "resolution_breached_at": None,
            "resolution_met": (rng.random() < 0.8) if decided else None,
            "resolution_hours": rng.lognormvariate(4.0, 0.6) if decided else None,
            "root_cause": rng.choice(causes) if decided and rng.random() < 0.7 else None,
        }
        moves.add(share(values.__getitem__), +1)
    return moves


def _sign_in(client: Any, email: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no sign-in form"
    done = client.post(
        "/sign-in", data={"csrf_token": token[1], "email": email, "password": PASSWORD}
    )
    assert done.status_code == 303, done.status_code


def _times(client: Any, path: str, requests: int) -> list[float]:
    client.get(path)  # warm: the first request fills the caches a running worker has
    found = []
    for _ in range(requests):
        began = time.perf_counter()
        got = client.get(path)
        found.append((time.perf_counter() - began) * 1000)
        assert got.status_code == 200, (path, got.status_code)
    return found


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def measure(backend: str, cases: int = 1_000_000, requests: int = 20) -> dict[str, float]:
    from portal import create_app, db
    from portal.config import Settings
    from portal.db import utcnow
    from portal.domain.roles import Role
    from portal.models.committees import Committee, CommitteeMembership, Seat
    from portal.models.kpi_ledger import kpi_days, kpi_root_causes, ledger_rows
    from portal.models.users import User
    from portal.policies import current_policies
    from portal.security.passwords import hash_password
    from portal.services.committees import sync_from_policy

    name = f"{backend}-ledger-{cases}"
    inst = prepare(name, database_url(name, backend, fresh=True), fresh=True)
    app = create_app(Settings.from_env(inst.env()))
    with app.app_context():
        policies = current_policies()
        session = db.session()
        sync_from_policy(session, policies, now=utcnow())
        for email, role in (
            ("chair@ledger.example", Role.CHAIR),
            ("admin@ledger.example", Role.ADMIN),
        ):
            user = User(email=email, email_key=email, full_name=email.split("@")[0].title(),
                        active=True)  # fmt: skip
            user.set_roles({role})
            session.add(user)
            session.flush()
            user.password_hash = hash_password(PASSWORD, user)
        session.flush()
        committees = {c.slug: c.id for c in session.scalars(sa.select(Committee))}
        chair = session.scalar(sa.select(User).where(User.email_key == "chair@ledger.example"))
        session.add(CommitteeMembership(
            committee_id=committees["member-services"], user_id=chair.id, seat=Seat.CHAIR.value
        ))  # fmt: skip
        session.commit()
        today = utcnow().astimezone(policies.calendar.time_zone).date()
        began = time.monotonic()
        moves = synthetic_moves(policies, committees, cases, today)
        tables = ledger_rows(moves)
        with db.database(app).engine.begin() as conn:
            for table, rows in tables:
                for start in range(0, len(rows), 5000):
                    conn.execute(sa.insert(table), rows[start : start + 5000])
            conn.exec_driver_sql("ANALYZE")
        built = time.monotonic() - began
        daily = sum(len(rows) for table, rows in tables if table in (kpi_days, kpi_root_causes))
    chair_client, admin_client = app.test_client(), app.test_client()
    _sign_in(chair_client, "chair@ledger.example")
    _sign_in(admin_client, "admin@ledger.example")
    year = f"/insight/?from={today - timedelta(days=364)}&to={today}"
    chair_times = _times(chair_client, "/insight/", requests)
    year_times = _times(admin_client, year, requests)
    db.database(app).engine.dispose()
    return {
        "cases": float(cases),
        "rows": float(daily),
        "built": built,
        "chair_p50": statistics.median(chair_times),
        "chair_p95": _p95(chair_times),
        "year_p50": statistics.median(year_times),
        "year_p95": _p95(year_times),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args(argv)
    got = measure("postgresql" if args.postgres else "sqlite", args.cases, args.requests)
    print(
        f"{got['cases']:,.0f} grievances, {got['rows']:,.0f} ledger rows (built in"
        f" {got['built']:.0f} s): chair, 90 days p50 {got['chair_p50']:.0f} ms"
        f" p95 {got['chair_p95']:.0f} ms; administrator, 12 months p50 {got['year_p50']:.0f} ms"
        f" p95 {got['year_p95']:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
