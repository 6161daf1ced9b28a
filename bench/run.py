"""`make bench`: seed, serve, load, and print every figure beside its target.

    BENCH_CASES=100000   grievances in each database (seeded once, kept in bench/work/)
    BENCH_QUICK=1        about 2,000 grievances and short runs: a smoke check of the harness
    BENCH_RUNS=3         runs per figure (the median is reported)
    BENCH_SECONDS=10     length of each run
    BENCH_BACKENDS=postgresql,sqlite
    BENCH_SCALING=1,2,4  gunicorn workers for the scaling table (PostgreSQL; empty: skip)
    BENCH_FRESH=1        seed again even when a seeded instance of that size exists
    BENCH_LEDGER_CASES=1000000  grievances whose KPI ledger the dashboard is timed over

PostgreSQL gives the headline column, SQLite the second. Before each backend the bare Flask
app is measured under the same gunicorn settings, and each page figure is also its share of
that floor. The table is printed and written to bench/results/ (latest.json, latest.md and a
timestamped copy).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

from bench import figures, ledger_scale, load
from bench import floor as bench_floor
from bench.client import Client, sessions
from bench.figures import PAGES, Page
from bench.server import (
    Instance,
    Server,
    copy_of,
    database_url,
    floor_url,
    postgres_available,
    prepare,
    serve,
    serve_floor,
    serve_hello,
)
from portal.config import ROOT
from portal.pdf.renderer import Renderer, renderer_pid

QUICK = os.environ.get("BENCH_QUICK") == "1"
CASES = int(os.environ.get("BENCH_CASES") or (2000 if QUICK else 100_000))
RUNS = int(os.environ.get("BENCH_RUNS") or (1 if QUICK else 3))
SECONDS = float(os.environ.get("BENCH_SECONDS") or (3 if QUICK else 10))
BACKENDS = [
    b for b in (os.environ.get("BENCH_BACKENDS") or "postgresql,sqlite").split(",") if b.strip()
]
SCALING = [int(w) for w in os.environ.get("BENCH_SCALING", "1,2,4").split(",") if w.strip()]
FRESH = os.environ.get("BENCH_FRESH") == "1"
WORKERS = 2  # as `make run` serves
STATIC = ROOT / "static"


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def instance_for(backend: str) -> tuple[Instance, dict[str, Any]]:
    """A seeded instance of CASES grievances on `backend`, reused when one exists."""
    from bench import seed

    name = f"{backend}-{CASES}"
    url = database_url(name, backend)
    manifest_path = figures.RESULTS.parent / "work" / name / "manifest.json"
    if manifest_path.exists() and not FRESH:
        inst = prepare(name, url)
        say(f"{backend}: reusing the seeded instance bench/work/{name}")
        return inst, {}
    url = database_url(name, backend, fresh=True)
    inst = prepare(name, url, fresh=True)
    say(f"{backend}: seeding {CASES:,} grievances into bench/work/{name}")
    report = seed.seed(inst, CASES, progress=sys.stderr.isatty())
    say(
        f"{backend}: seeded {report.cases:,} grievances, {report.total_rows:,} rows in "
        f"{report.seconds:.0f} s ({report.total_rows / report.seconds:,.0f} rows/s)"
    )
    return inst, {"rate": report.cases / report.seconds, "seconds": report.seconds}


def sign_ins(srv: Server, inst: Instance, manifest: dict[str, Any]) -> dict[str, str]:
    pw = manifest["passwords"]
    people = [(manifest["reviewer"], pw["staff"]), (manifest["chair"], pw["staff"])]
    people += [(m["email"], pw["member"]) for m in manifest["members"]]
    return sessions(srv.url, inst.path, people)


def targets(page: Page, manifest: dict[str, Any], cookies: dict[str, str]) -> list[tuple[str, str]]:
    """(path, cookie) pairs: members each with their own cases, staff with the committee's."""
    if page.who == "member":
        return [
            (path, cookies[m["email"]])
            for i, m in enumerate(manifest["members"])
            for path in page.paths(manifest, i)
        ]
    cookie = cookies[manifest[page.who]]
    return [(path, cookie) for path in page.paths(manifest, 0)]


def check_targets(url: str, pairs: list[tuple[str, str]]) -> None:
    """Every path answers 200 with its cookie: a redirect to sign-in would time the wrong page."""
    from bench.client import COOKIE

    for path, cookie in pairs[:: max(1, len(pairs) // 12)]:
        client = Client(url, cookies={COOKIE: cookie})
        got = client.get(path)
        client.close()
        if got.status != 200:
            raise SystemExit(f"bench: {path} answered {got.status}, not 200")


def pages(
    srv: Server, manifest: dict[str, Any], cookies: dict[str, str], runs: int
) -> dict[str, load.Run]:
    out = {}
    for page in PAGES:
        pairs = targets(page, manifest, cookies)
        check_targets(srv.url, pairs)
        load.wrk(srv.url, pairs, 1, page.connections)  # warm the workers' caches
        out[page.key] = load.median_run(
            [load.wrk(srv.url, pairs, SECONDS, page.connections) for _ in range(runs)]
        )
        got = out[page.key]
        say(f"  {page.label}: {got.rps:,.0f}/s p50 {got.p50:.0f} ms p95 {got.p95:.0f} ms "
            f"p99 {got.p99:.0f} ms, CPU {got.cpu:.0%}, errors {got.errors}"
            + (f" ({', '.join(f'{k} {v:.0f}' for k, v in got.extra.items())})" if got.errors else ""))  # fmt: skip
    return out


def _floor_run(srv: Server) -> load.Run:
    load.wrk(srv.url, [("/", "")], 1)
    return load.median_run([load.wrk(srv.url, [("/", "")], SECONDS) for _ in range(RUNS)])


def hello() -> load.Run:
    with serve_hello(workers=WORKERS) as srv:
        got = _floor_run(srv)
    say(f"  bare Flask: {got.rps:,.0f}/s p95 {got.p95:.1f} ms")
    return got


def stack_floor(backend: str) -> load.Run:
    """The least an audited list page costs on this stack and database (bench/floor.py)."""
    url = floor_url(backend)
    bench_floor.prepare(url)
    with serve_floor(url, workers=WORKERS) as srv:
        got = _floor_run(srv)
        got.extra["rss_mb"] = load.peak_rss_mb(srv.worker_pids())
    say(f"  stack floor: {got.rps:,.0f}/s p95 {got.p95:.1f} ms, {got.extra['rss_mb']:.0f} MB")
    return got


def _reopen(url: str) -> int:
    """Reopen every case under review, answered, its decision due in the coming months;
    one in a thousand is due within the hour, so the sweep has warnings to write, about as
    many as a year of an association's filings bring due in an hour rather than a minute."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from portal.models.grievances import Grievance

    g = Grievance.__table__
    now = datetime.now(UTC)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        ids = conn.execute(sa.select(g.c.id)).scalars().all()
        rows = [
            {
                "case": case_id,
                "decision": now
                + (timedelta(minutes=30) if n % 1000 == 0 else timedelta(days=40 + n % 80)),
            }
            for n, case_id in enumerate(ids)
        ]
        reopen = (
            sa.update(g)
            .where(g.c.id == sa.bindparam("case"))
            .values(
                is_open=True, status="under_review", resolved_at=None, closed_at=None,
                paused_at=None, due_soon_marked_at=None, first_response_breached_at=None,
                resolution_breached_at=None, escalation_requested_at=None, appeal_due_at=None,
                merged_into_id=None,
                first_response_at=sa.func.coalesce(g.c.first_response_at, g.c.submitted_at),
                resolution_due_at=sa.bindparam("decision"),
            )
        )  # fmt: skip
        for start in range(0, len(rows), 5000):
            conn.execute(reopen, rows[start : start + 5000])
    engine.dispose()
    return len(ids)


def sweep(inst: Instance) -> dict[str, float]:
    """`flask sla sweep` over every case open: on a copy of the instance whose cases are all
    reopened with their promises ahead (the sweep's own writes stay in the copy)."""
    with copy_of(inst) as copy:
        _reopen(copy.database_url)
        began = time.monotonic()
        done = copy.flask("sla", "sweep")
        seconds = time.monotonic() - began
    found = re.search(r"(\d+) open cases checked", done.stdout)
    say(f"  {done.stdout.strip()} in {seconds:.2f} s")
    return {"seconds": seconds, "checked": float(found.group(1)) if found else 0.0}


def rotate(inst: Instance, cases: int) -> dict[str, float]:
    """Data keys rewrapped per second, the command's start-up (timed alone) left out."""
    began = time.monotonic()
    inst.flask("keys", "status")
    startup = time.monotonic() - began
    began = time.monotonic()
    inst.flask("keys", "rotate")
    seconds = time.monotonic() - began
    rate = cases / max(0.001, seconds - startup)
    say(
        f"  keys rotate: {cases:,} data keys in {seconds:.1f} s ({startup:.1f} s start-up): {rate:,.0f}/s"
    )
    return {"rate": rate, "seconds": seconds}


def count_cases(inst: Instance) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(inst.database_url)
    with engine.connect() as conn:
        n = conn.exec_driver_sql("SELECT count(*) FROM grievances").scalar() or 0
    engine.dispose()
    return int(n)


def vacuum(inst: Instance) -> None:
    """VACUUM ANALYZE a PostgreSQL instance before it is timed. The machines here run the
    server with autovacuum off, and every run leaves dead rows (a rotation rewrites every
    case): three runs left 400,000 in `grievances`, and its indexes read ten times the pages.
    In production autovacuum keeps the tables about as this leaves them."""
    if inst.backend != "postgresql":
        return
    import sqlalchemy as sa

    engine = sa.create_engine(inst.database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def measure(backend: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    inst, seeded = instance_for(backend)
    vacuum(inst)
    manifest = json.loads((inst.path / "manifest.json").read_text())
    # How fast this instance was seeded (now, or when it was first made).
    seconds = seeded.get("seconds") or manifest.get("seconds") or 0
    results: dict[str, Any] = {
        "seed": {"rate": manifest["cases"] / seconds, "seconds": seconds} if seconds else None
    }
    say(f"{backend}: bare Flask floor")
    results["hello"] = hello()
    say(f"{backend}: the stack floor (an audited 25-row list page, nothing else)")
    results["floor"] = stack_floor(backend)
    scaling: list[dict[str, Any]] = []
    # Pages and filings are timed on a throwaway copy: what they write (audit entries,
    # sessions, a few hundred filed cases a run, which land in the queue) would otherwise
    # stay in the seeded instance and make each run's figures depend on the runs before.
    with copy_of(inst) as work:
        renderer_socket = Renderer(work.path, STATIC).socket
        with serve(work, workers=WORKERS) as srv:
            cookies = sign_ins(srv, work, manifest)
            say(f"{backend}: pages with {WORKERS} workers, {load.CONNECTIONS} connections")
            with load.RendererWatch(renderer_socket) as renderer:
                results["pages"] = pages(srv, manifest, cookies, RUNS)
            results["renderer"] = {"server_mb": renderer.server_mb,
                                   "document_mb": renderer.document_mb}  # fmt: skip
            members = [cookies[m["email"]] for m in manifest["members"]]
            load.filing(srv.url, members, 1)
            results["filing"] = load.median_run(
                [load.filing(srv.url, members, SECONDS) for _ in range(RUNS)]
            )
            f = results["filing"]
            say(
                f"  filing: {f.rps:,.1f}/s POST p50 {f.p50:.0f} ms p95 {f.p95:.0f} ms, "
                f"errors {f.errors}"
            )
            results["rss_mb"] = load.peak_rss_mb(srv.worker_pids())
            say(f"  peak worker memory {results['rss_mb']:.0f} MB; PDF renderer "
                f"{renderer.server_mb:.0f} MB, its largest document {renderer.document_mb:.0f} MB")  # fmt: skip
        if backend == "postgresql":
            for workers in SCALING:
                with serve(work, workers=workers) as srv:
                    say(f"{backend}: scaling with {workers} worker(s)")
                    for key, run in pages(srv, manifest, cookies, 1).items():
                        scaling.append(
                            {"page": key, "workers": workers, "rps": run.rps, "cpu": run.cpu}
                        )
        if (pid := renderer_pid(renderer_socket)) is not None:
            os.kill(pid, signal.SIGTERM)  # it would wait out its idle time over a removed folder
    results["sweep"] = sweep(inst)
    results["cases"] = count_cases(inst)
    results["rotate"] = rotate(inst, results["cases"])
    say(f"{backend}: the KPI dashboard over {figures.LEDGER_CASES:,} grievances' ledger")
    results["ledger"] = ledger_scale.measure(backend, figures.LEDGER_CASES)
    got = results["ledger"]
    say(f"  chair, 90 days: p50 {got['chair_p50']:.0f} ms p95 {got['chair_p95']:.0f} ms;"
        f" administrator, 12 months: p95 {got['year_p95']:.0f} ms")  # fmt: skip
    runs = [*results["pages"].values(), results["filing"]]
    results["errors"] = sum(r.errors for r in runs)
    return results, scaling


def main() -> int:
    if not load.wrk_available():
        raise SystemExit(
            "bench: wrk is not installed (Debian: apt-get install wrk; `make bench` does it)"
        )
    wanted = list(BACKENDS)
    if "postgresql" in wanted and not postgres_available():
        say("PostgreSQL is not answering on 127.0.0.1:5432: SQLite only")
        wanted.remove("postgresql")
    meta = {
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cases": CASES, "runs": RUNS, "seconds": SECONDS, "connections": load.CONNECTIONS,
        "workers": WORKERS, "cpus": os.cpu_count(), "quick": QUICK,
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    scaling: list[dict[str, Any]] = []
    for backend in wanted:
        results[backend], more = measure(backend)
        scaling += more
    rows = figures.table_rows(results)
    print()
    print(figures.render_text(rows))
    if scaling:
        print(
            "\nScaling on PostgreSQL (requests/s, CPU busy), workers "
            + ", ".join(map(str, figures._workers(scaling)))
        )
        for line in figures.scaling_lines(scaling):
            print("  " + line.replace(" | ", "  |  "))
    for path in figures.write(rows, meta, scaling)[:2]:
        print(f"wrote {path.relative_to(figures.RESULTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
