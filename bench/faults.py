"""Load and faults (issue 13, item 5): what users see, and what is kept, when things go wrong.

    python -m bench.faults [--duration 60] [--only load,kill,restart,full]   (make bench-faults)

Each scenario serves a fresh PostgreSQL instance with the demo association under gunicorn
with 2 workers (bench/server.py, as `make run` serves it), runs 16 users (12 members filing
with a 100 KB statement and reading their cases, 4 staff working the queue and case pages;
bench/faults_users.py) and prints a verdict line and its figures:

- load:    the load alone: 0 errors; every acknowledged grievance present and decryptable;
           `flask keys verify` and `flask audit verify` pass.
- kill:    SIGKILL of a gunicorn worker three times in the middle of filings: no acknowledged
           grievance missing, no case without its file, nothing left after `flask files sweep`.
- restart: PostgreSQL restarted under load (`pg_ctlcluster ... restart`; never in the test
           suite): the status codes while it was away (only the portal's own 503 page, no 500,
           no stack trace), seconds from its return to the first page served, nothing lost.
- full:    the evidence folder a small tmpfs that fills under load: the members get the
           message with what they typed kept, no half-written case, no partial file; then the
           folder grows (remount) and filings go through again.

`--duration 10` smoke-runs every scenario in about ten seconds of load each. Ports 8200-8299.
Needs root (tmpfs, pg_ctlcluster) and PostgreSQL on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import faults_system, server
from bench.faults_users import NO_ANSWER, Record, sign_in_all, start_users

PORTS = range(8200, 8299)  # 8299: the restart scenario's PostgreSQL
SCENARIOS = ("load", "kill", "restart", "full")
TMPFS_SIZE, TMPFS_ROOM = "1m", 350 * 1024  # about three filings of room after the demo


@dataclass
class Outcome:
    name: str
    ok: bool
    verdict: str
    figures: dict[str, Any] = field(default_factory=dict)


def instance_for(
    name: str, evidence: Callable[[Path], None] | None = None, pg: str = server.PG_SERVER
) -> server.Instance:
    """A fresh PostgreSQL instance with the demo association, as `make run` leaves it."""
    url = server.pg_database(f"portal_faults_{name}", fresh=True, server=pg)
    # A tmpfs a previous run left mounted would stop the instance folder being made afresh.
    faults_system.system("umount", "-l", str(server.WORK / f"faults-{name}" / "evidence"))
    instance = server.prepare(f"faults-{name}", url, fresh=True)
    if evidence is not None:
        evidence(instance.path / "evidence")
    instance.flask("demo", "seed")
    return instance


@contextmanager
def loaded(instance: server.Instance, record: Record) -> Iterator[tuple[server.Server, float]]:
    """The portal serving 16 users until the block ends; yields the server and start time."""
    with server.serve(instance, workers=2, port=server.free_port(PORTS)) as srv:
        members, staff = sign_in_all(srv.url)
        stop = threading.Event()
        users = start_users(srv.url, members, staff, record, stop)
        try:
            yield srv, time.monotonic()
        finally:
            stop.set()
            for user in users:
                user.join(60)


def after(instance: server.Instance, record: Record, sweep: bool = False) -> dict[str, Any]:
    """The instance checked from inside (bench/faults_check.py), the portal stopped."""
    figures: dict[str, Any] = {}
    if sweep:
        swept = instance.flask("files", "sweep", "--older-than", "0").stdout.strip()
        figures["sweep"] = swept.splitlines()[-1] if swept else ""
        figures["swept_lines"] = len(swept.splitlines()) - 1
    path = instance.path / "acknowledged.json"
    path.write_text(json.dumps(record.acknowledged))
    done = subprocess.run(  # noqa: S603 - our own venv's python
        [sys.executable, "-m", "bench.faults_check", str(path)],
        cwd=server.ROOT,
        env=instance.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    figures.update(json.loads(done.stdout.strip().splitlines()[-1]))
    for command in ("keys", "audit"):
        verified = instance.flask(command, "verify", check=False)
        figures[f"{command}_verify"] = "ok" if verified.returncode == 0 else "FAILED"
    return figures


def incoming(instance: server.Instance) -> list[Path]:
    return sorted((instance.path / "evidence" / "incoming").glob("*.part"))


def intact(f: dict[str, Any]) -> bool:
    lost = ("missing", "not_as_typed", "unreadable", "filed_twice", "without_files")
    return (
        not any(f[k] for k in lost)
        and not f["files_without_case"]
        and not f["incoming"]
        and f["keys_verify"] == f["audit_verify"] == "ok"
    )


def _summary(record: Record, seconds: float) -> dict[str, Any]:
    """Requests, their rate over the time they were sent (at least `seconds`), statuses."""
    times = [a.at for a in record.answers]
    span = max(seconds, max(times) - min(times)) if times else seconds
    return {
        "requests": len(record.answers),
        "per_second": round(len(record.answers) / span, 1),
        "statuses": dict(sorted(record.statuses().items())),
    }


def run_load(duration: float) -> Outcome:
    instance, record = instance_for("load"), Record()
    with loaded(instance, record):
        time.sleep(duration)
    figures = {**_summary(record, duration), "errors": len(record.errors())}
    figures.update(after(instance, record))
    ok = figures["errors"] == 0 and intact(figures) and figures["acknowledged"] > 0
    verdict = (
        f"{figures['errors']} errors in {figures['requests']} requests; "
        f"{figures['acknowledged']} acknowledged, {len(figures['missing'])} missing; "
        f"keys verify {figures['keys_verify']}, audit verify {figures['audit_verify']}"
    )
    return Outcome("load", ok, verdict, figures)


def _holding_a_part(pid: int, folder: Path) -> bool:
    """Whether worker `pid` has an upload of incoming/ open (it is writing evidence)."""
    try:
        return any(
            os.readlink(fd).startswith(str(folder)) for fd in Path(f"/proc/{pid}/fd").iterdir()
        )
    except OSError:
        return False


def _kill_mid_filing(srv: server.Server, folder: Path, until: float) -> tuple[int, str] | None:
    """SIGKILL a worker while a filing's evidence waits in incoming/ for its transaction: the
    one writing it if caught, else either worker (one of them is in that filing)."""
    while time.monotonic() < until:
        if any(folder.glob("*.part")):
            pids = srv.worker_pids()
            writing = [pid for pid in pids if _holding_a_part(pid, folder)]
            victim = (writing or pids or [0])[0]
            if victim:
                os.kill(victim, signal.SIGKILL)
                return victim, "writing its evidence" if writing else "during an upload"
        time.sleep(0.001)
    pids = srv.worker_pids()
    if not pids:
        return None
    os.kill(pids[0], signal.SIGKILL)
    return pids[0], "between uploads"


def run_kill(duration: float) -> Outcome:
    instance, record = instance_for("kill"), Record()
    folder = instance.path / "evidence" / "incoming"
    killed: list[str] = []
    with loaded(instance, record) as (srv, _started):
        for _ in range(3):
            time.sleep(duration * 0.2)
            victim = _kill_mid_filing(srv, folder, time.monotonic() + duration * 0.05)
            if victim:
                killed.append(f"{victim[0]} {victim[1]}")
        time.sleep(duration * 0.2)
        replaced = srv.worker_pids()
    figures = {**_summary(record, duration), "killed": killed, "workers_after": replaced}
    figures["no_answer"] = record.statuses()[NO_ANSWER]
    figures["server_errors"] = sum(n for s, n in record.statuses().items() if s >= 500)
    figures["incoming_after_kill"] = sorted(p.name for p in incoming(instance))
    figures.update(after(instance, record, sweep=True))
    ok = intact(figures) and figures["server_errors"] == 0 and len(killed) == 3
    verdict = (
        f"{len(killed)} workers killed; {figures['acknowledged']} acknowledged, "
        f"{len(figures['missing'])} missing, {len(figures['without_files'])} without files, "
        f"{len(figures['files_without_case'])} files without a case; "
        f"{len(figures['incoming_after_kill'])} uploads left in incoming/ by the killed "
        f"workers, {len(figures['incoming'])} after `flask files sweep`"
    )
    return Outcome("kill", ok, verdict, figures)


def run_restart(duration: float, shared: bool = False) -> Outcome:
    with faults_system.restartable_postgres(shared) as (pg, cluster):
        instance, record = instance_for("restart", pg=pg), Record()
        with loaded(instance, record) as (srv, _started):
            time.sleep(duration / 3)
            began = time.monotonic()
            faults_system.cluster(cluster, "restart")
            back = time.monotonic()
            time.sleep(duration * 2 / 3)
            log = srv.log.read_text(errors="replace")
        figures = _restart_figures(instance, record, began, back, log, duration)
    figures["cluster"] = cluster
    return _restart_outcome(figures)


def _restart_figures(
    instance: server.Instance, record: Record, began: float, back: float, log: str, duration: float
) -> dict[str, Any]:
    first_ok = min((a.at for a in record.answers if a.at >= back and a.status == 200), default=None)
    until = first_ok or float("inf")
    outage = [a for a in record.answers if began <= a.at < until]
    unavailable = [a for a in outage if a.status == 503]
    figures = {
        **_summary(record, duration),
        "restart_seconds": round(back - began, 2),
        "during_outage": dict(sorted(record.statuses(began, until).items())),
        "outage_503_own_page": sum(a.outage_page for a in unavailable),
        "leaks": sum(a.leak for a in record.answers),
        "recovery_seconds": round(first_ok - back, 2) if first_ok else None,
        "server_errors": sum(1 for a in record.answers if a.status >= 500 and a.status != 503),
        "log_unavailable_lines": log.count("database unavailable on"),
        "log_tracebacks": log.count("Traceback"),
    }
    figures["outage_503s"] = len(unavailable)
    figures.update(after(instance, record))
    return figures


def _restart_outcome(figures: dict[str, Any]) -> Outcome:
    ok = (
        intact(figures)
        and figures["server_errors"] == 0
        and figures["leaks"] == 0
        and figures["log_tracebacks"] == 0
        and figures["outage_503_own_page"] == figures["outage_503s"]
        and figures["recovery_seconds"] is not None
        and figures["recovery_seconds"] < 10
    )
    verdict = (
        f"PostgreSQL away {figures['restart_seconds']} s: {figures['during_outage']} meanwhile "
        f"({figures['outage_503_own_page']} of {figures['outage_503s']} 503s the portal's page, "
        f"{figures['server_errors']} other 5xx, {figures['leaks']} stack traces); first page "
        f"{figures['recovery_seconds']} s after it was back; "
        f"{len(figures['missing'])} of {figures['acknowledged']} acknowledged missing"
    )
    return Outcome("restart", ok, verdict, figures)


def _sent(record: Record, status: int, since: float = 0.0) -> int:
    return sum(
        1 for a in record.answers if a.step == "file.send" and a.status == status and a.at >= since
    )


def _wait_for(enough: Callable[[], bool], until: float, at_most: float) -> None:
    """Until `until`, then on until `enough()` (for at most `at_most` seconds more)."""
    time.sleep(max(0.0, until - time.monotonic()))
    deadline = time.monotonic() + at_most
    while not enough() and time.monotonic() < deadline:
        time.sleep(0.2)


def run_full(duration: float) -> Outcome:
    record = Record()
    instance = instance_for("full", evidence=lambda path: faults_system.mount(path, TMPFS_SIZE))
    evidence = instance.path / "evidence"
    try:
        # Room for about three filings beyond the demo's files, whatever the duration.
        faults_system.fill(evidence / "filler", leave=TMPFS_ROOM)
        with loaded(instance, record) as (_srv, started):
            # Full until a few members were refused (on a busy machine that takes longer
            # than two thirds of a short run), then room for the rest of the run.
            _wait_for(lambda: _sent(record, 400) >= 3, started + duration * 2 / 3, 120)
            full_at = time.monotonic()
            faults_system.mount(evidence, "64m", remount=True)  # the operator makes room
            _wait_for(lambda: _sent(record, 303, full_at) >= 3, full_at + duration / 3, 120)
        refused = [a for a in record.answers if a.step == "file.send" and a.status == 400]
        figures = {
            **_summary(record, duration),
            "errors": len(record.errors(also={"file.send": {400}})),
            "refused_full": len(refused),
            "refused_with_message_and_text": sum(a.full_message for a in refused),
            "full_seconds": round(full_at - started, 1),
            "filed_before_room": _sent(record, 303) - _sent(record, 303, full_at),
            "filed_after_room": _sent(record, 303, full_at),
        }
        figures.update(after(instance, record))
    finally:
        faults_system.system("umount", "-l", str(evidence))
    ok = (
        intact(figures)
        and figures["errors"] == 0
        and figures["refused_full"] > 0
        and figures["refused_with_message_and_text"] == figures["refused_full"]
        and figures["filed_after_room"] > 0
    )
    verdict = (
        f"{figures['refused_full']} filings refused while full, "
        f"{figures['refused_with_message_and_text']} with the message and the text kept; "
        f"{figures['errors']} errors; {len(figures['without_files'])} half-written, "
        f"{len(figures['incoming'])} partial files; {figures['filed_after_room']} filed once "
        "there was room"
    )
    return Outcome("full", ok, verdict, figures)


RUNNERS = {"load": run_load, "kill": run_kill, "restart": run_restart, "full": run_full}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load each")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--json", type=Path, help="also write the outcomes here")
    parser.add_argument(
        "--restart-shared-cluster",
        action="store_true",
        help="restart the machine's main PostgreSQL cluster, not the bench's own (cuts everyone)",
    )
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    if unknown := [s for s in wanted if s not in RUNNERS]:
        parser.error(f"unknown scenario: {', '.join(unknown)}")
    if not server.postgres_available():
        print("faults: PostgreSQL is not answering on 127.0.0.1:5432", file=sys.stderr)
        return 2
    outcomes = []
    for name in wanted:
        print(f"== {name} ({args.duration:g} s of load)", flush=True)
        try:
            if name == "restart":
                outcome = run_restart(args.duration, shared=args.restart_shared_cluster)
            else:
                outcome = RUNNERS[name](args.duration)
        except server.BenchError as exc:
            outcome = Outcome(name, False, f"could not run: {exc}")
        outcomes.append(outcome)
        print(f"{'PASS' if outcome.ok else 'FAIL'} {name}: {outcome.verdict}")
        for key, value in outcome.figures.items():
            if isinstance(value, list) and len(value) > 5:
                value = [*value[:5], f"... {len(value)} in all"]
            print(f"    {key}: {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1, default=str))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
