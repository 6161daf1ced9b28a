"""The web workers' side of PDF making: documents go to one renderer process per host.

WeasyPrint is 26 MB of imports, and a board report grows the process that renders it by
about 90 MB that it keeps (Pango's caches, the allocator's arenas), so every web worker that
had printed one report stayed at about 215 MB for the rest of its life. Now a worker never
imports WeasyPrint. It sends the HTML over a Unix socket in the instance folder to the
renderer (`portal.pdf.server`), which forks a process for each document, and gets the PDF
back. The first worker that needs the renderer starts it (a lock file keeps two from doing
so at once); it serves every worker and app of that instance folder, and ends when no PDF
has been asked for in a while, so a host that prints nothing holds nothing for it.

The socket lives in the instance folder (mode 0700), so only the portal's own user can
connect or bind it. The renderer is started with a bare environment: no keys, no database
address; it gets HTML and gives back bytes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha256
from multiprocessing.connection import Client, Connection
from pathlib import Path
from tempfile import gettempdir

log = logging.getLogger("portal.pdf")

# Under gunicorn's 30 s worker timeout, so the member gets our page, not a dropped connection.
TIMEOUT_SECONDS = 25.0
START_SECONDS = 20.0
# A Unix socket's path is at most 107 bytes.
_MAX_SOCKET_PATH = 100
# What the renderer keeps from the worker's environment: where Python and the fonts are.
_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "XDG_CACHE_HOME", "TMPDIR")


class RenderFailed(RuntimeError):
    """The PDF could not be made (the renderer failed, was killed or took too long)."""


class Renderer:
    """Makes PDFs through the renderer process of one instance folder."""

    def __init__(self, instance: Path, static: Path, *, idle_seconds: float = 300.0) -> None:
        self.static = static
        self.idle_seconds = idle_seconds
        self.socket = _socket_path(instance)
        self.lock = self.socket.with_suffix(".lock")

    def render(self, html: str, stylesheet: str = "") -> bytes:
        """The PDF of `html` (and `stylesheet`, CSS text)."""
        for attempt in range(2):
            connection = self._connect()
            try:
                with connection:
                    connection.send_bytes(html.encode())
                    connection.send_bytes(stylesheet.encode())
                    if not connection.poll(TIMEOUT_SECONDS):
                        raise RenderFailed(f"no PDF after {TIMEOUT_SECONDS:.0f} s")
                    reply = connection.recv_bytes()
            except (EOFError, OSError):
                # The renderer was ending as we came, or was killed: start it once more.
                if attempt == 0:
                    continue
                raise RenderFailed("the renderer closed the connection") from None
            if reply[:1] == b"%":
                return reply
            log.error("PDF rendering failed: %s", reply.decode(errors="replace"))
            raise RenderFailed("the renderer could not make this document")
        raise AssertionError("unreachable")

    def _connect(self) -> Connection:
        try:
            return Client(str(self.socket), family="AF_UNIX")
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        with self._locked():
            try:  # another worker may have started it while we waited for the lock
                return Client(str(self.socket), family="AF_UNIX")
            except (FileNotFoundError, ConnectionRefusedError):
                self._start()
            return Client(str(self.socket), family="AF_UNIX")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.lock, "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            yield

    def _start(self) -> None:
        """Start the renderer and wait until it listens (it warms up first, about a second)."""
        self.socket.unlink(missing_ok=True)  # left by one that was killed
        command = [
            sys.executable,
            "-m",
            "portal.pdf.server",
            str(self.socket),
            str(self.static),
            str(self.idle_seconds),
        ]
        env = {name: os.environ[name] for name in _ENVIRONMENT if name in os.environ}
        with subprocess.Popen(  # noqa: S603 (our interpreter, our module, paths we chose)
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not stopped by the worker's signals; it ends when idle
        ) as server:
            assert server.stdout is not None
            ready = _read_line(server.stdout.fileno(), START_SECONDS)
            if ready != b"ready\n":
                server.kill()
                raise RenderFailed("the renderer did not start")
            # It carries on alone; the worker must not wait for it, nor leave a zombie, so
            # the server forks once and this first process exits (see portal.pdf.server).
            server.wait(START_SECONDS)


def _read_line(fd: int, timeout: float) -> bytes:
    if not select.select([fd], [], [], timeout)[0]:
        return b""
    return os.read(fd, 64)


def _socket_path(instance: Path) -> Path:
    path = instance / "pdf-renderer.sock"
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    # A deep instance folder: a private folder of this user's in the temporary folder.
    private = Path(gettempdir()) / f"portal-{os.getuid()}"
    private.mkdir(mode=0o700, exist_ok=True)
    status = private.lstat()
    if status.st_uid != os.getuid() or status.st_mode & 0o077 or private.is_symlink():
        raise RenderFailed(f"{private} must belong to this user alone")
    digest = sha256(os.fsencode(instance.resolve())).hexdigest()[:16]
    return private / f"pdf-{digest}.sock"


def renderer_pid(socket: Path) -> int | None:
    """The renderer serving this socket, if one runs (for operators, the bench and tests).
    It writes its pid beside the socket; a pid left by one that was killed is not trusted
    unless that process still names the socket."""
    try:
        pid = int(socket.with_suffix(".pid").read_text())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if b"portal.pdf.server" in argv and os.fsencode(socket) in argv else None
