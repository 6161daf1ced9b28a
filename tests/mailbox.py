"""Reading the mail the portal sent, for tests that follow a link in it.

The outbox worker (`flask outbox send`) delivers through the development transport, which
writes each mail as an .eml file; the mailbox reads them back. Tests of the mail itself
(subjects, languages, canaries) go through a real SMTP server instead (tests/mail/).
"""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from flask import Flask

from portal.cli.outbox import Worker
from portal.db import utcnow
from portal.mail.transport import FileTransport

LINK_RE = re.compile(r"https?://[^\s\"<>]+")


class Mailbox:
    def __init__(self, app: Flask, directory: Path) -> None:
        self.app = app
        self.directory = directory
        self.read: set[str] = set()
        self.mails: list[EmailMessage] = []

    def deliver(self, now: datetime | None = None) -> list[EmailMessage]:
        """Send what the outbox holds (as at `now`); the mails that arrived."""
        moment = now or utcnow()
        Worker(self.app, FileTransport(self.directory), clock=lambda: moment).run_once()
        arrived = []
        for path in sorted(self.directory.glob("*.eml")):
            if path.name not in self.read:
                self.read.add(path.name)
                parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
                arrived.append(parsed)  # type: ignore[arg-type]
        self.mails.extend(arrived)  # type: ignore[arg-type]
        return arrived  # type: ignore[return-value]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mails if str(m["To"]).casefold() == address.casefold()]


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""  # type: ignore[union-attr]


def link_in(mail: EmailMessage, contains: str) -> str:
    """The path of the first link in the mail's text whose address contains `contains`."""
    for url in LINK_RE.findall(text_of(mail)):
        if contains in url:
            return "/" + url.split("/", 3)[3]
    raise AssertionError(f"no link with {contains!r} in {mail['Subject']!r}")
