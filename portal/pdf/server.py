"""The renderer: one process per instance folder that makes PDFs for every web worker.

`python -m portal.pdf.server SOCKET STATIC IDLE_SECONDS`, started by `portal.pdf.renderer`.
It listens on SOCKET, says so and carries on in the background, where it imports WeasyPrint,
finds the fonts and renders two small documents before it takes the first request. For each document it forks a process that
starts warm, renders, answers and exits, handing back every page it touched; at most one
per core at once, the others wait their turn, and one still at work after DOCUMENT_SECONDS
is ended by the system. With nothing asked for IDLE_SECONDS it removes its socket and ends;
after LIFETIME_SECONDS it does the same at its next idle moment, so a long-busy host still
picks up fonts and code installed since it started.
"""

from __future__ import annotations

import gc
import os
import select
import signal
import socket
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

from portal.pdf.renderer import TIMEOUT_SECONDS, locked, peer_uid

DOCUMENT_SECONDS = int(TIMEOUT_SECONDS) + 5  # the worker has given up by then
LIFETIME_SECONDS = 3600
WARM_UP = "<h1>Warm-up 준비</h1><p><b>Bold</b> <i>italic</i> 본문 text.</p>" * 20


def main(socket_path: str, static: str, idle_seconds: float) -> None:
    # Listening first, then the warm-up: the worker that started us waits only for the
    # socket (its lock keeps a second renderer from starting meanwhile), and requests wait
    # in the socket's queue while the fonts load, a first start that builds the font cache
    # being slow.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    os.umask(0o077)
    listener.bind(socket_path)
    listener.listen(64)
    if os.fork():
        os.write(1, b"listening\n")
        os._exit(0)  # the worker waits for this process; the server carries on alone
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    pid_file = Path(socket_path).with_suffix(".pid")
    pid_file.with_suffix(".new").write_text(f"{os.getpid()}\n")
    pid_file.with_suffix(".new").replace(pid_file)
    from portal.pdf import render

    for _ in range(2):  # the second run finds the caches the first one filled
        render.render_pdf(WARM_UP, Path(static))
    # What exists now is never collected here, so a child's collector does not touch (and
    # copy) every page of it.
    gc.collect()
    gc.freeze()
    serve(listener, Path(socket_path), Path(static), idle_seconds, render.render_pdf)


def serve(listener: socket.socket, path: Path, static: Path, idle: float, render) -> None:  # type: ignore[no-untyped-def]
    limit = len(os.sched_getaffinity(0))
    ends = time.monotonic() + LIFETIME_SECONDS
    children: set[int] = set()
    while True:
        _reap(children, block=len(children) >= limit)
        if time.monotonic() > ends and not children and _leave(listener, path):
            return
        if not select.select([listener], [], [], idle if not children else 1.0)[0]:
            if not children and _leave(listener, path):
                return
            continue
        client, _ = listener.accept()
        if peer_uid(client) != os.getuid():
            client.close()  # only the portal's own user may have documents made
            continue
        pid = os.fork()
        if pid == 0:
            listener.close()
            signal.alarm(DOCUMENT_SECONDS)
            _answer(Connection(client.detach()), static, render)
            os._exit(0)
        client.close()
        children.add(pid)


def _answer(connection: Connection, static: Path, render) -> None:  # type: ignore[no-untyped-def]
    gc.disable()  # a short life: nothing it makes needs collecting before it ends
    try:
        html = connection.recv_bytes().decode()
        try:
            reply = render(html, static)
        except Exception as exc:
            # The type only: a message could quote the document, and the document a case.
            reply = type(exc).__name__.encode()
        connection.send_bytes(reply)
    except (EOFError, OSError):
        pass  # the worker gave up waiting


def _reap(children: set[int], *, block: bool) -> None:
    while children:
        pid, _status = os.waitpid(-1, 0 if block else os.WNOHANG)
        if pid == 0:
            return
        children.discard(pid)
        block = False


def _leave(listener: socket.socket, path: Path) -> bool:
    """Idle: remove the socket and end, unless a worker came in meanwhile. Under the lock
    that starting one takes, so a worker never finds a socket nobody answers."""
    with locked(path.with_suffix(".lock")):
        if select.select([listener], [], [], 0)[0]:
            return False
        path.unlink(missing_ok=True)
        path.with_suffix(".pid").unlink(missing_ok=True)
        listener.close()
        return True


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
