"""Fixtures for faults the portal must survive: a database that goes away, a full disk.

The database outage is real but private to the test: the app's engine talks to PostgreSQL
through a small TCP proxy thread that the test cuts and restores. The real server is never
stopped (the SQLite and PostgreSQL passes of the suite run side by side on this machine).
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from portal import create_app
from portal.db import Base, database, make_engine
from portal.security import keys
from portal.security.errors import KeyConfigError
from tests.conftest import PG_BASE, make_settings, postgres_database
from tests.factories import make_policy_committees, make_user

needs_postgres = pytest.mark.skipif(
    not PG_BASE, reason="a network outage needs PostgreSQL (PORTAL_TEST_POSTGRES)"
)


class TcpProxy:
    """127.0.0.1:<port> forwarded to the database server.

    `cut()` is an outage: the port refuses connections and every open one is dropped.
    `drop()` only drops the open ones (a server restarted between two requests).
    `restore()` answers again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def reopen(self) -> None:
        """Answer again if cut (a test may end in the middle of an outage)."""
        if self._listener is None:
            self.restore()

    def cut(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self.drop()

    def drop(self) -> None:
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _close(sock)

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open |= {client, upstream}
            for source, dest in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, dest), daemon=True).start()

    def _pump(self, source: socket.socket, dest: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                dest.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open -= {source, dest}
            _close(source)
            _close(dest)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextmanager
def keys_restored() -> Iterator[None]:
    """create_app installs its key material process-wide; put back what was there."""
    try:
        previous: keys.KeyMaterial | None = keys.current()
    except KeyConfigError:
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            keys.install(previous)
        else:
            keys.uninstall()


@dataclass
class ProxiedPortal:
    app: Flask
    proxy: TcpProxy
    direct_url: str  # the same database without the proxy, for checking what it holds

    def session(self) -> Session:
        return database(self.app).new_session()

    def count(self, statement: sa.Select[tuple[int]]) -> int:
        engine = make_engine(self.direct_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(statement).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def _proxied_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxiedPortal]:
    import portal.models  # noqa: F401  (registers every table)

    assert PG_BASE
    tmp_path = tmp_path_factory.mktemp("outage")
    with postgres_database("portal_outage") as url, keys_restored():
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        parsed = sa.make_url(url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        instance = tmp_path / "instance"
        keys.init_keys(instance / "keys")
        proxied = parsed.set(port=proxy.port).render_as_string(hide_password=False)
        app = create_app(make_settings(instance, proxied))
        try:
            with database(app).new_session() as session:
                make_policy_committees(session, app.extensions["portal.policies"])
                make_user(session, email="filer@example.org", name="Fiona Filer")
                session.commit()
            yield ProxiedPortal(app=app, proxy=proxy, direct_url=url)
        finally:
            proxy.close()
            database(app).engine.dispose()


@pytest.fixture
def proxied_portal(_proxied_portal: ProxiedPortal) -> Iterator[ProxiedPortal]:
    """A portal on its own committed PostgreSQL database (one per test module), reached
    through a TcpProxy; it has the policy's committees and a member, filer@example.org.
    Each test gets it with the proxy open and an empty connection pool."""
    yield _proxied_portal
    _proxied_portal.proxy.reopen()
    database(_proxied_portal.app).engine.dispose()


# --- a full disk -----------------------------------------------------------------


@contextmanager
def small_tmpfs(path: Path, size: str = "256k") -> Iterator[Path]:
    """A real, tiny filesystem at `path` (the suite runs as root); unmounted afterwards.
    A machine where it cannot be mounted fails the test with the reason, never skips it."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"cannot mount a {size} tmpfs at {path} for the full-disk test (run the suite as "
            f"root): {done.stderr.strip() or done.returncode}"
        )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path, leave: int = 0) -> None:
    """Fill the filesystem of `path` until at most `leave` bytes are free."""
    filler = path / "filler"
    with open(filler, "ab") as out:
        while True:
            free = _free(path)
            if free <= leave:
                return
            try:
                out.write(b"\0" * min(4096, free - leave))
                out.flush()
            except OSError:
                return


def _free(path: Path) -> int:
    import os

    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize
