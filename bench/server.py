"""Bench instances and the servers the benchmark measures.

`prepare(name, url)` makes an instance the way `make run` does (folder, `flask keys init`,
`alembic upgrade head`) under `bench/work/<name>/`, against a SQLite file or a PostgreSQL
database (`pg_database` creates one). `serve(instance, workers=N)` starts the portal under
gunicorn exactly as `make run` serves it (`gunicorn --workers N --bind 127.0.0.1:PORT
wsgi:app`), waits until it answers and stops it afterwards; `serve_hello` does the same for
the bare Flask app of bench/hello.py, the floor every page figure is compared with.

Ports come from 8100-8199, so a bench never collides with `make run` (5000) or the tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
BIN = Path(sys.executable).parent  # the venv's bin: gunicorn, flask, alembic
PORTS = range(8100, 8200)
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/")


class BenchError(RuntimeError):
    """Something the bench needs did not work; the message says what."""


@dataclass(frozen=True)
class Instance:
    """A portal installation for the bench: its folder and its database."""

    name: str
    path: Path
    database_url: str

    @property
    def backend(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"

    def env(self, port: int | None = None) -> dict[str, str]:
        """The environment `make run` would give the portal, pointed at this instance."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PORTAL_") or k in ("PORTAL_POLICIES_DIR",)
        }
        env.update(
            PORTAL_INSTANCE_PATH=str(self.path),
            PORTAL_DATABASE_URL=self.database_url,
            PYTHONUNBUFFERED="1",
        )
        if port is not None:
            env["PORTAL_PORT"] = str(port)
        return env

    def flask(
        self, *args: str, check: bool = True, capture: bool = True, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `flask ARGS` for this instance from the repository root, as an operator does."""
        return _run([str(BIN / "flask"), *args], self.env(), check, capture, timeout)

    def alembic(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run([str(BIN / "alembic"), *args], self.env(), True, True, None)


def _run(
    cmd: Sequence[str], env: dict[str, str], check: bool, capture: bool, timeout: float | None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 - our own venv's commands
        list(cmd), cwd=ROOT, env=env, text=True, capture_output=capture, timeout=timeout
    )
    if check and done.returncode != 0:
        tail = (done.stderr or done.stdout or "").strip().splitlines()[-5:]
        raise BenchError(f"{' '.join(cmd[-2:])} failed ({done.returncode}): " + " | ".join(tail))
    return done


# --- databases ----------------------------------------------------------------------------


def _admin_engine(server: str):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    return sa.create_engine(server, isolation_level="AUTOCOMMIT")


def pg_database(name: str, *, fresh: bool = False, server: str = PG_SERVER) -> str:
    """The URL of PostgreSQL database `name` on the bench server, created if missing
    (dropped and created again when `fresh`)."""
    import sqlalchemy as sa

    if not name.replace("_", "").isalnum():
        raise BenchError(f"not a database name: {name!r}")
    base = sa.make_url(server)
    engine = _admin_engine(base.set(database="postgres").render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            if fresh:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        raise BenchError(f"PostgreSQL is not answering at {base.host}:{base.port}") from exc
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def copy_of(inst: Instance) -> Iterator[Instance]:
    """A throwaway copy of `inst`'s database (same folder and keys), dropped afterwards: for
    a command that would change the seeded data the other figures are timed on."""
    import sqlalchemy as sa

    if inst.backend == "sqlite":
        source = Path(sa.make_url(inst.database_url).database or "")
        target = source.with_name("copy.db")
        shutil.copyfile(source, target)
        try:
            yield Instance(inst.name, inst.path, f"sqlite:///{target}")
        finally:
            target.unlink(missing_ok=True)
        return
    url = sa.make_url(inst.database_url)
    name = f"{url.database}_copy"
    engine = _admin_engine(url.set(database="postgres").render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            # A template must have no other connection (a leftover psql, a profiler).
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": url.database},
            )
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"')
        yield Instance(
            inst.name, inst.path, url.set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def postgres_available(server: str = PG_SERVER) -> bool:
    import sqlalchemy as sa

    url = sa.make_url(server)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), 2).close()
    except OSError:
        return False
    return True


def sqlite_url(name: str) -> str:
    return f"sqlite:///{WORK / name / 'portal.db'}"


def database_url(name: str, backend: str, *, fresh: bool = False) -> str:
    """The bench database of instance `name` on `backend` ("postgresql" or "sqlite")."""
    if backend == "postgresql":
        return pg_database(f"portal_bench_{name}".replace("-", "_"), fresh=fresh)
    return sqlite_url(name)


# --- instances ----------------------------------------------------------------------------


def prepare(name: str, url: str | None = None, *, fresh: bool = False) -> Instance:
    """An instance under bench/work/<name>/ with keys and the schema, as `make run` makes it.

    `fresh` removes a previous instance of that name first (its folder; a PostgreSQL
    database must be made fresh by `pg_database(..., fresh=True)` before calling)."""
    path = WORK / name
    if fresh and path.exists():
        shutil.rmtree(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    instance = Instance(name, path, url or sqlite_url(name))
    if (path / "keys" / "kek.json").exists():
        # An instance made before a migration: the portal cannot start on the old schema
        # (not even for `keys init`), so migrate first.
        instance.alembic("upgrade", "head")
        return instance
    instance.flask("keys", "init")
    instance.alembic("upgrade", "head")
    return instance


# --- servers ------------------------------------------------------------------------------


@dataclass
class Server:
    """A running gunicorn: where it listens and its processes."""

    url: str
    port: int
    workers: int
    process: subprocess.Popen[bytes]
    log: Path
    name: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The master's children: gunicorn's workers (re-read: a killed worker is replaced)."""
        found: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                found += [int(p) for p in (task / "children").read_text().split()]
        return sorted(found)


def free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise BenchError(f"no free port in {ports.start}-{ports.stop - 1}")


def wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server at {url} stopped with exit code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2):  # noqa: S310 - loopback
                return
        except urllib.error.HTTPError:
            return  # it answered (a redirect or an error page is still an answer)
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"the server at {url} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def _gunicorn(
    app: str,
    env: dict[str, str],
    workers: int,
    log: Path,
    port: int | None,
    timeout: float,
    extra_args: Sequence[str] = (),
) -> Iterator[Server]:
    port = port or free_port()
    cmd = [
        str(BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        *extra_args,
        app,
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(f"http://127.0.0.1:{port}", port, workers, process, log, app)
    try:
        wait_until_answering(server.url, process, timeout)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], grace: float = 15) -> None:
    """SIGTERM gunicorn's master (it stops its workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve(
    instance: Instance,
    workers: int = 2,
    port: int | None = None,
    timeout: float = 60,
    extra_args: Sequence[str] = (),
) -> contextlib.AbstractContextManager[Server]:
    """The portal of `instance` under gunicorn, as `make run` serves it."""
    port = port or free_port()
    log = instance.path / f"gunicorn-{port}.log"
    return _gunicorn("wsgi:app", instance.env(port), workers, log, port, timeout, extra_args)


def serve_hello(
    workers: int = 2, port: int | None = None, timeout: float = 30
) -> contextlib.AbstractContextManager[Server]:
    """The bare Flask app of bench/hello.py under the same gunicorn settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    return _gunicorn("bench.hello:app", env, workers, WORK / "hello.log", port, timeout)


def floor_url(backend: str) -> str:
    """Where the stack floor of bench/floor.py keeps its rows on `backend`."""
    (WORK / "floor").mkdir(parents=True, exist_ok=True)
    return database_url("floor", backend)


def serve_floor(
    url: str, workers: int = 2, port: int | None = None, timeout: float = 30
) -> contextlib.AbstractContextManager[Server]:
    """The stack floor of bench/floor.py on the database at `url`, same gunicorn settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["FLOOR_DATABASE_URL"] = url
    return _gunicorn("bench.floor:app", env, workers, WORK / "floor.log", port, timeout)


if __name__ == "__main__":  # a quick look: python -m bench.server [sqlite|postgresql]
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    inst = prepare("try-" + backend, database_url("try-" + backend, backend))
    with serve(inst) as srv:
        print(f"portal at {srv.url}, workers {srv.worker_pids()}")
    with serve_hello() as srv:
        print(f"hello at {srv.url}, workers {srv.worker_pids()}")
