"""A real SMTP server (aiosmtpd) on a free loopback port, and a worker that delivers to it.

The worker is the one `flask outbox send` runs (portal/cli/outbox.py), with its clock given,
so retries and leases are tested without sleeping.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from portal.cli.outbox import PassSummary, Worker
from portal.mail.transport import SmtpTransport


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mail:
    """One message as the server received it."""

    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        self.message = BytesParser(policy=policy.default).parsebytes(self.raw)  # type: ignore[assignment]

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def language(self) -> str:
        return str(self.message["Content-Language"])

    def part(self, kind: str) -> str:
        body = self.message.get_body(preferencelist=(kind,))
        return body.get_content() if body is not None else ""  # type: ignore[union-attr]

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")

    def everything(self) -> str:
        """Headers and both bodies decoded, and the raw bytes: what a canary scan reads."""
        headers = "\n".join(f"{k}: {v}" for k, v in self.message.items())
        return "\n".join([headers, self.text, self.html, self.raw.decode("utf-8", "replace")])


class Inbox:
    """The aiosmtpd handler: keeps every message; refuses the recipients in `refuse`."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.refuse: set[str] = set()
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.mails.append(Mail(list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.rcpt_tos]


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def worker_for(app, port: int, now: datetime, **kwargs: object) -> Worker:  # type: ignore[no-untyped-def]
    transport = SmtpTransport("127.0.0.1", port, timeout=5)
    return Worker(app, transport, clock=lambda: now, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def deliver(app, smtp) -> Callable[[datetime], PassSummary]:  # type: ignore[no-untyped-def]
    """One pass of the worker at `now`, sending to the test's SMTP server."""

    def run(now: datetime) -> PassSummary:
        return worker_for(app, smtp.port, now).run_once()

    return run
