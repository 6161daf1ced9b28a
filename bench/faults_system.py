"""System commands of the fault scenarios: a tmpfs for the evidence folder, and the
PostgreSQL cluster the restart scenario restarts (bench/faults.py)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import server

# The restart scenario's own PostgreSQL cluster, on the last port of the bench's 8200-8299.
FAULTS_CLUSTER, FAULTS_PG_PORT = "faults", 8299


def system(*command: str) -> subprocess.CompletedProcess[str]:
    """A system command (mount, umount, pg_ctlcluster), found on PATH as an operator's is."""
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def cluster(name: str, action: str) -> None:
    done = system("pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), name, action)
    if done.returncode != 0:
        raise server.BenchError(f"pg_ctlcluster {name} {action} failed: {done.stderr.strip()}")


@contextmanager
def restartable_postgres(shared: bool) -> Iterator[tuple[str, str]]:
    """(server URL, cluster name) of the PostgreSQL the scenario restarts.

    Restarting the machine's `main` cluster cuts every other user of it, test suites of
    other checkouts included; by default the scenario runs on a cluster of its own, `faults`
    on port FAULTS_PG_PORT (created once, trust on loopback; stopped afterwards)."""
    if shared:
        yield server.PG_SERVER, "main"
        return
    if not (Path("/etc/postgresql") / pg_version() / FAULTS_CLUSTER).exists():
        made = system(
            "pg_createcluster", pg_version(), FAULTS_CLUSTER, "--port", str(FAULTS_PG_PORT),
            "--", "--auth-local=trust", "--auth-host=trust",
        )  # fmt: skip
        if made.returncode != 0:
            raise server.BenchError(f"pg_createcluster failed: {made.stderr.strip()}")
    running = system("pg_ctlcluster", pg_version(), FAULTS_CLUSTER, "status").returncode == 0
    if not running:
        cluster(FAULTS_CLUSTER, "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{FAULTS_PG_PORT}/", FAULTS_CLUSTER
    finally:
        cluster(FAULTS_CLUSTER, "stop")


def mount(path: Path, size: str, remount: bool = False) -> None:
    path.mkdir(parents=True, exist_ok=True)
    options = f"{'remount,' if remount else ''}size={size},mode=0700"
    done = system("mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path))
    if done.returncode != 0:
        raise server.BenchError(f"cannot mount a tmpfs at {path}: {done.stderr.strip()}")


def fill(filler: Path, leave: int) -> None:
    """Grow `filler` until its filesystem has about `leave` bytes free."""
    stats = os.statvfs(filler.parent)
    spare = stats.f_bavail * stats.f_frsize - leave
    if spare > 0:
        with filler.open("wb") as out:
            out.write(b"\0" * spare)
