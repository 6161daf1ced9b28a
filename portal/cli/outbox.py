"""`flask outbox send` (one pass, for cron) and `flask outbox work` (a loop for a service
manager): deliver the mail services queued (services/outbox.py).

Each pass claims due messages in batches; every message is rendered, sent and marked sent in
a commit of its own, so a worker stopped at any point leaves each message either sent and
marked, or still claimable once its lease runs out. Without PORTAL_MAIL_SERVER outside
production, mail is written to instance/mail/ as .eml files instead.
"""

from __future__ import annotations

import secrets
import signal
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup

from portal.config import Settings
from portal.db import database, utcnow
from portal.mail.render import Renderer
from portal.mail.transport import FileTransport, MailError, SmtpTransport, Transport, build
from portal.services import outbox

group = AppGroup("outbox", help="Mail waiting to be sent.")

# Stop sending from a batch this long before its lease ends, so another worker taking the
# rest over never overlaps with a send still under way here.
LEASE_MARGIN = timedelta(seconds=60)


def transport_for(settings: Settings) -> Transport:
    if settings.mail_to_files:
        return FileTransport(settings.mail_dir)
    return SmtpTransport(
        settings.resolved_mail_server,
        settings.mail_port,
        security=settings.mail_security,
        username=settings.mail_username,
        password=settings.mail_password,
        timeout=settings.mail_timeout,
    )


def mail_links(app: Flask, base_url: str) -> Callable[..., str]:
    """Absolute links under PORTAL_BASE_URL (never a request's Host header)."""

    def link(endpoint: str, **values: Any) -> str:
        with app.test_request_context("/", base_url=base_url):
            return url_for(endpoint, _external=True, **values)

    return link


@dataclass
class PassSummary:
    sent: Counter[str] = field(default_factory=Counter)  # template -> messages
    failed: list[str] = field(default_factory=list)  # one line per failed attempt
    waiting: int = 0

    def line(self) -> str:
        total = sum(self.sent.values())
        return f"outbox: {total} sent, {len(self.failed)} failed, {self.waiting} waiting"

    def details(self) -> list[str]:
        lines = []
        if self.sent:
            kinds = ", ".join(f"{n} {name}" for name, n in sorted(self.sent.items()))
            lines.append(f"  sent: {kinds}")
        lines.extend(f"  failed {line}" for line in self.failed)
        return lines


class Worker:
    """One outbox worker; `clock` is the time (tests pass their own)."""

    def __init__(
        self,
        app: Flask,
        transport: Transport,
        *,
        clock: Callable[[], datetime] = utcnow,
        name: str | None = None,
        batch: int = outbox.BATCH,
        lease: timedelta = outbox.LEASE,
    ) -> None:
        self.app = app
        self.settings: Settings = app.extensions["portal.settings"]
        self.db = database(app)
        self.transport = transport
        self.clock = clock
        self.name = name or f"worker-{secrets.token_hex(6)}"
        self.batch, self.lease = batch, lease
        self.renderer = Renderer(
            app.extensions["portal.policies"], mail_links(app, self.settings.base_url)
        )

    def claim(self) -> tuple[list[uuid.UUID], datetime]:
        """Claim a batch (one commit): the ids, and until when they are this worker's."""
        now = self.clock()
        with self.db.new_session() as session:
            ids = outbox.claim(session, self.name, now, self.batch, self.lease)
            session.commit()
        return ids, now + self.lease

    def run_once(self, stop: threading.Event | None = None) -> PassSummary:
        """Send everything due now, batch by batch; messages failing now wait for later."""
        summary = PassSummary()
        try:
            while not (stop and stop.is_set()):
                ids, until = self.claim()
                if not ids:
                    break
                self.deliver(ids, until, summary, stop)
        finally:
            self.transport.close()
        with self.db.new_session() as session:
            outbox.purge_sent(session, self.clock())
            session.commit()
            summary.waiting = outbox.waiting(session)
        return summary

    def deliver(
        self,
        ids: list[uuid.UUID],
        until: datetime,
        summary: PassSummary,
        stop: threading.Event | None = None,
    ) -> None:
        """Send the claimed messages in turn, each marked in its own commit."""
        for index, message_id in enumerate(ids):
            if (stop and stop.is_set()) or self.clock() >= until - LEASE_MARGIN:
                self._release(ids[index:])
                return
            try:
                self._send_one(message_id, summary)
            except MailError as exc:
                self._failed(message_id, exc, summary)
                if exc.unreachable:  # the rest would fail alike: count it as their attempt
                    for rest in ids[index + 1 :]:
                        self._failed(rest, exc, summary)
                    return

    def _send_one(self, message_id: uuid.UUID, summary: PassSummary) -> None:
        with self.db.new_session() as session:
            found = outbox.envelope(session, message_id, self.name)
            session.rollback()
        if found is None:
            return  # the lease was lost: another worker has it
        if not found.address:
            raise MailError("the recipient has no address any more", permanent=True)
        try:
            rendered = self.renderer.render(found.template, found.context, found.language)
        except Exception as exc:  # a template bug: retrying will not help
            raise MailError(
                f"cannot write the message: {type(exc).__name__}", permanent=True
            ) from None
        association = self.app.extensions["portal.policies"].association
        message = build(
            sender=self.settings.mail_sender,
            sender_name=association.name.in_language(rendered.language),
            to=found.address,
            rendered=rendered,
            message_id=str(found.id),
            now=self.clock(),
        )
        self.transport.send(message)
        with self.db.new_session() as session:
            outbox.mark_sent(session, message_id, self.name, self.clock())
            session.commit()
        summary.sent[found.template] += 1

    def _failed(self, message_id: uuid.UUID, exc: MailError, summary: PassSummary) -> None:
        now = self.clock()
        with self.db.new_session() as session:
            status = outbox.mark_attempt_failed(
                session,
                message_id,
                self.name,
                str(exc),
                now,
                max_attempts=self.settings.mail_max_attempts,
                retry_seconds=self.settings.mail_retry_seconds,
                permanent=exc.permanent,
            )
            session.commit()
        if status is not None:
            what = "gave up" if status == outbox.OutboxStatus.FAILED else "will retry"
            summary.failed.append(f"{str(message_id)[:8]} ({what}): {outbox.scrub(str(exc))}")

    def _release(self, ids: list[uuid.UUID]) -> None:
        with self.db.new_session() as session:
            outbox.release(session, ids, self.name)
            session.commit()


def _worker() -> Worker:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return Worker(app, transport_for(app.extensions["portal.settings"]))


@group.command("send")
def send() -> None:
    """Send every message due now, once (for cron). Prints what was sent and what failed."""
    summary = _worker().run_once()
    click.echo(summary.line())
    for line in summary.details():
        click.echo(line)


@group.command("work")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds to wait between passes.",
)
def work(interval: float) -> None:
    """Send mail as it arrives, until stopped (SIGTERM or Ctrl+C finish the message under
    way and stop). Run it from a service manager."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = _worker()
    click.echo(f"outbox worker {worker.name}: sending every {interval:g}s")
    while not stop.is_set():
        summary = worker.run_once(stop)
        if summary.sent or summary.failed:
            click.echo(summary.line())
            for line in summary.details():
                click.echo(line)
        stop.wait(interval)
    click.echo("outbox worker stopped")
