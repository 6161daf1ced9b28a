"""The web workers' side of PDF making: documents go to one renderer process per host.

WeasyPrint is 26 MB of imports, and a board report grows the process that renders it by
about 90 MB that it keeps (Pango's caches, the allocator's arenas), so every web worker that
had printed one report stayed at about 215 MB for the rest of its life. Now a worker never
imports WeasyPrint. It sends the HTML over a Unix socket in the instance folder to the
renderer (`portal.pdf.server`), which forks a process for each document, and gets the PDF
back. The first worker that needs the renderer starts it (a lock file keeps two from doing
so at once); it serves every worker and app of that instance folder, and ends when no PDF
has been asked for in a while, so a host that prints nothing holds nothing for it.

The socket lives in the instance folder, or, if that folder is not the portal user's alone,
in a private folder of theirs; both ends check that the other runs as the same user
(SO_PEERCRED). The socket's name carries a digest of the virtualenv, the code and the static
folder, so a new release (another virtualenv or folder) starts its own renderer rather than talking
to the old one, which idles out. The renderer is started with a bare environment: no keys,
no database address; it gets HTML and gives back bytes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha256
from multiprocessing.connection import Connection
from pathlib import Path
from tempfile import gettempdir

log = logging.getLogger("portal.pdf")

# The whole of a PDF request, start-up and retry included: under gunicorn's 30 s worker
# timeout, so the member gets our page, not a dropped connection.
TIMEOUT_SECONDS = 25.0
START_SECONDS = 10.0  # for the renderer to listen, before it warms up
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
        self.socket = _socket_path(instance, static)
        self.lock = self.socket.with_suffix(".lock")

    def render(self, html: str) -> bytes:
        """The PDF of `html`."""
        deadline = time.monotonic() + TIMEOUT_SECONDS
        for attempt in range(2):
            try:
                with self._connect(deadline) as connection:
                    connection.send_bytes(html.encode())
                    if not connection.poll(max(deadline - time.monotonic(), 0)):
                        raise RenderFailed(f"no PDF after {TIMEOUT_SECONDS:.0f} s")
                    reply = connection.recv_bytes()
            except (EOFError, OSError):
                # The renderer was ending as we came, or was killed: start it once more.
                if attempt == 0 and time.monotonic() < deadline:
                    continue
                raise RenderFailed("the renderer could not be reached") from None
            if reply[:1] == b"%":
                return reply
            log.error("PDF rendering failed: %s", reply.decode(errors="replace"))
            raise RenderFailed("the renderer could not make this document")
        raise AssertionError("unreachable")

    def _connect(self, deadline: float) -> Connection:
        try:
            return _open(self.socket, deadline)
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        with locked(self.lock):
            try:  # another worker may have started it while we waited for the lock
                return _open(self.socket, deadline)
            except (FileNotFoundError, ConnectionRefusedError):
                self._start()
            return _open(self.socket, deadline)

    def _start(self) -> None:
        """Start the renderer and wait until it listens (it then warms up, about a second)."""
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
        server = subprocess.Popen(  # noqa: S603 (our interpreter, our module, paths we chose)
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not stopped by the worker's signals; it ends when idle
        )
        assert server.stdout is not None
        # Python and a socket: a tenth of a second. The warm-up after it is waited for on
        # the connection, within the request's deadline.
        listening = _read_line(server.stdout.fileno(), time.monotonic() + START_SECONDS)
        server.stdout.close()
        try:
            server.wait(START_SECONDS)  # it forked the server and ended
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if listening != b"listening\n":
            raise RenderFailed("the renderer did not start")


@contextmanager
def locked(lock: Path) -> Iterator[None]:
    """The lock beside the socket: held to start the renderer, and by the renderer to end."""
    held = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield
    finally:
        os.close(held)


def _open(path: Path, deadline: float) -> Connection:
    """A connection to the renderer at `path`, every wait on it bounded by `deadline`, and
    only if the process at the other end runs as this user."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        left = max(deadline - time.monotonic(), 0.001)
        timeval = struct.pack("ll", int(left), int(left % 1 * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        sock.connect(str(path))
        if peer_uid(sock) != os.getuid():
            raise RenderFailed(f"{path} is served by another user")
        return Connection(sock.detach())
    finally:
        sock.close()


def peer_uid(sock: socket.socket) -> int:
    credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", credentials)[1]


def _read_line(fd: int, deadline: float) -> bytes:
    if not select.select([fd], [], [], max(deadline - time.monotonic(), 0))[0]:
        return b""
    return os.read(fd, 64)


def _socket_path(instance: Path, static: Path) -> Path:
    # The virtualenv, the code and the static files: what a release changes. Not the
    # interpreter's name, which differs between `python` and `python3.11` in one venv.
    here = Path(__file__).resolve().parent
    release = sha256(os.fsencode(f"{sys.prefix}\0{here}\0{static.resolve()}")).hexdigest()[:10]
    path = instance / f"pdf-renderer-{release}.sock"
    if _private(instance) and len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    # A deep or shared instance folder: a private folder of this user's in the temporary one.
    private = Path(gettempdir()) / f"portal-{os.getuid()}"
    private.mkdir(mode=0o700, exist_ok=True)
    if not _private(private) or private.stat().st_mode & 0o077:
        raise RenderFailed(f"{private} must belong to this user alone")
    digest = sha256(os.fsencode(instance.resolve())).hexdigest()[:16]
    return private / f"pdf-{digest}-{release}.sock"


def _private(folder: Path) -> bool:
    """Nobody but this user can add, remove or replace a file in `folder`."""
    try:
        status = folder.lstat()
    except OSError:
        return False
    return not folder.is_symlink() and status.st_uid == os.getuid() and not status.st_mode & 0o022


def renderer_pid(socket_path: Path) -> int | None:
    """The renderer serving this socket, if one runs (for operators, the bench and tests).
    It writes its pid beside the socket; a pid left by one that was killed is not trusted
    unless that process still names the socket."""
    try:
        pid = int(socket_path.with_suffix(".pid").read_text())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if b"portal.pdf.server" in argv and os.fsencode(socket_path) in argv else None
