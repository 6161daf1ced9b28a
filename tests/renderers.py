"""Stopping the PDF renderer a test started."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from portal.pdf.renderer import renderer_pid


def stop_renderers(socket: Path) -> None:
    if (pid := renderer_pid(socket)) is not None:
        os.kill(pid, signal.SIGKILL)


def servers_of(socket: Path) -> list[int]:
    """Every renderer process serving this socket: the server leads its own session, the
    processes it forks for documents do not."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            leads = os.getsid(int(entry.name)) == int(entry.name)
        except OSError:
            continue
        if leads and b"portal.pdf.server" in argv and os.fsencode(socket) in argv:
            found.append(int(entry.name))
    return found
