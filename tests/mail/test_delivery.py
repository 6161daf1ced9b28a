"""Delivery: retries with backoff until an administrator sees the failure and sends it again,
a worker killed mid-batch, refused recipients, development without a mail server, and
`flask outbox send` / `work` as an operator runs them."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.cli.outbox import PassSummary, Worker, transport_for
from portal.config import ROOT
from portal.db import database, utcnow
from portal.domain.roles import Role
from portal.mail.transport import FileTransport, SmtpTransport
from portal.models.outbox import OutboxMessage
from portal.models.users import User
from portal.security import keys as keyring
from portal.services import outbox, outbox_admin
from tests.conftest import Browser, csrf_token, make_settings, migrate
from tests.factories import PASSWORD, make_user
from tests.mail.conftest import free_port, worker_for
from tests.unit.services.conftest import at

T0 = at(2, 9)


def queue(session, count: int = 1, template: str = "committee_wrote", **context):  # type: ignore[no-untyped-def]
    """`count` messages to new members, committed like a request's change."""
    messages = []
    for n in range(count):
        user = make_user(session, Role.MEMBER, email=f"to{n}-{os.urandom(3).hex()}@example.org")
        messages.append(
            outbox.enqueue(
                session,
                to=user,
                template=template,
                context={"reference": f"GRV-2026-{n + 1:06d}", "account": True, **context},
                language="en",
                now=T0,
            )
        )
    session.commit()
    return messages


def recipient(session, message) -> User:  # type: ignore[no-untyped-def]
    found = session.get(OutboxMessage, message.id)
    data = outbox.unseal(
        "outbox_messages", found.id, found.template, found.language, found.payload_ct
    )
    return session.get(User, data["to"]["user"])


def row(session, message) -> OutboxMessage:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(OutboxMessage, message.id)


def test_a_refusing_server_means_retries_with_backoff_then_a_failure_an_admin_sends_again(
    app, session, smtp
):
    [message] = queue(session)
    closed = free_port()  # nothing listens there: every connection is refused
    settings = app.extensions["portal.settings"]
    now, delays = T0, []
    for attempt in range(1, settings.mail_max_attempts + 1):
        summary = worker_for(app, closed, now).run_once()
        assert sum(summary.sent.values()) == 0 and len(summary.failed) == 1
        found = row(session, message)
        assert found.attempts == attempt and "cannot reach the mail server" in found.last_error
        if found.status == "failed":
            break
        delays.append(found.next_attempt_at - now)
        # Not due again before its time: a pass in between leaves it alone.
        early = worker_for(app, closed, now + delays[-1] / 2).run_once()
        assert early.failed == [] and early.waiting == 1
        now = found.next_attempt_at
    assert found.status == "failed" and found.attempts == settings.mail_max_attempts
    assert delays[:4] == [timedelta(seconds=s) for s in (60, 120, 240, 480)]
    assert all(b >= a for a, b in itertools.pairwise(delays))
    assert "gave up" in summary.failed[0]

    make_user(session, Role.ADMIN, email="admin@example.org")
    session.commit()
    admin = Browser(app.test_client())
    admin.sign_in("admin@example.org", PASSWORD)
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert "cannot reach the mail server" in page and "Send again" in page
    # The page names the recipient's address, never what the message is about.
    assert recipient(session, message).email in page and "GRV-2026-000001" not in page
    response = admin.client.post(
        f"/admin/outbox/{message.id}/retry", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/outbox")
    assert (row(session, message).status, row(session, message).attempts) == ("pending", 0)

    summary = worker_for(app, smtp.port, utcnow() + timedelta(minutes=1)).run_once()
    assert summary.line() == "outbox: 1 sent, 0 failed, 0 waiting"
    [mail] = smtp.mails
    assert mail.subject == "GRV-2026-000001: the committee has written to you"
    assert "Every message was delivered." in admin.get("/admin/outbox").get_data(as_text=True)


def test_a_retry_needs_a_failed_message_and_an_administrator(app, session):
    [message] = queue(session)
    admin = make_user(session, Role.ADMIN)
    member = make_user(session, Role.MEMBER)
    with pytest.raises(Exception, match="permission"):
        outbox_admin.retry(session, member, str(message.id))
    with pytest.raises(Exception, match="Only a message that failed"):
        outbox_admin.retry(session, admin, str(message.id))
    with pytest.raises(Exception, match="could not find"):
        outbox_admin.retry(session, admin, "not-a-uuid")


def test_a_refused_recipient_fails_at_once_and_the_error_names_no_address(app, session, smtp):
    [message] = queue(session)
    assert outbox.envelope(session, message.id, "someone") is None  # nobody claimed it yet
    smtp.refuse.add(recipient(session, message).email)
    summary = worker_for(app, smtp.port, T0).run_once()
    assert "gave up" in summary.failed[0]
    found = row(session, message)
    assert found.status == "failed" and found.attempts == 1
    assert found.last_error == "recipient refused (550)"
    assert smtp.mails == []


def test_scrubbed_errors_keep_no_address():
    said = "SMTP 550: 5.1.1 <someone.else@example.org>: Recipient address rejected\n by mx"
    assert outbox.scrub(said) == "SMTP 550: 5.1.1 <address>: Recipient address rejected by mx"


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(app, session, smtp):
    messages = queue(session, 5)
    first = worker_for(app, smtp.port, T0)
    ids, until = first.claim()
    assert len(ids) == 5
    first.deliver(ids[:2], until, PassSummary())  # two sent and marked... then it is killed
    assert len(smtp.mails) == 2

    # While the lease holds, another worker leaves the dead worker's three alone.
    second = worker_for(app, smtp.port, T0 + timedelta(minutes=1))
    assert second.run_once().line() == "outbox: 0 sent, 0 failed, 3 waiting"
    # Once it has run out, the other worker sends them.
    later = worker_for(app, smtp.port, until + timedelta(seconds=1))
    assert later.run_once().line() == "outbox: 3 sent, 0 failed, 0 waiting"
    # The first worker, back from the dead with its old claim, sends nothing.
    first.deliver(ids[2:], until, PassSummary())

    ids_sent = [m.message["Message-ID"] for m in smtp.mails]
    assert len(ids_sent) == 5 and len(set(ids_sent)) == 5
    assert {f"<{m.id}@association.example>" for m in messages} == set(ids_sent)
    assert {row(session, m).status for m in messages} == {"sent"}


def test_a_worker_stops_sending_from_a_batch_before_its_lease_runs_out(app, session, smtp):
    """Sending slowly, the lease would end mid-batch: the rest is handed back, not raced."""
    queue(session, 3)
    moments = {"now": T0}
    worker = Worker(app, SmtpTransport("127.0.0.1", smtp.port), clock=lambda: moments["now"])
    ids, until = worker.claim()
    moments["now"] = T0 + timedelta(minutes=4, seconds=30)  # too close to the lease's end
    summary = PassSummary()
    worker.deliver(ids, until, summary)
    assert sum(summary.sent.values()) == 0 and smtp.mails == []
    session.expire_all()
    rows = session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()
    assert {(r.claimed_by, r.attempts) for r in rows} == {(None, 0)}  # free again, no attempt


def test_without_a_mail_server_development_writes_eml_files_the_admin_page_lists(
    app, session, runner, mail_files
):
    settings = app.extensions["portal.settings"]
    assert isinstance(transport_for(settings), FileTransport)
    assert isinstance(transport_for(settings.with_(mail_server="smtp.example.org")), SmtpTransport)
    production = settings.with_(env="production")
    assert isinstance(transport_for(production), SmtpTransport)
    assert transport_for(production).host == "127.0.0.1"  # type: ignore[attr-defined]

    before = set(mail_files.glob("*.eml")) if mail_files.exists() else set()
    [message] = queue(session, template="decision_made", final=True, appeal_due=None)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "outbox: 1 sent, 0 failed, 0 waiting",
        "  sent: 1 decision_made",
    ]
    [written] = set(mail_files.glob("*.eml")) - before
    assert written.stat().st_mode & 0o777 == 0o600
    assert b"GRV-2026-000001: a decision has been made" in written.read_bytes()

    make_user(session, Role.ADMIN, email="admin@example.org")
    session.commit()
    admin = Browser(app.test_client())
    admin.sign_in("admin@example.org", PASSWORD)
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert "Mail written to files" in page and "GRV-2026-000001: a decision has been made" in page
    shown = admin.get(f"/admin/outbox/files/{written.name}").get_data(as_text=True)
    assert "A decision has been made on your grievance" in shown and "GRV-2026-000001" in shown
    assert admin.get("/admin/outbox/files/..%2F..%2Fkeys%2Fkek.json").status_code == 404
    assert row(session, message).status == "sent"


def test_flask_outbox_work_sends_and_stops_cleanly_on_sigterm(tmp_path: Path):
    """The service manager's view: a separate process, started, sending, then told to stop."""
    instance = tmp_path / "instance"
    keyring.init_keys(instance / "keys")
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    migrate(url)
    app = create_app(make_settings(instance, url))
    with app.app_context():
        session = database(app).new_session()
        user = make_user(session, Role.MEMBER, email="worker.test@example.org")
        outbox.enqueue(
            session,
            to=user,
            template="committee_wrote",
            context={"reference": "GRV-2026-000042", "account": True},
            language="ko",
        )
        session.commit()
        session.close()
    database(app).engine.dispose()

    env = {
        **os.environ,
        "PORTAL_INSTANCE_PATH": str(instance),
        "PORTAL_DATABASE_URL": url,
        "PORTAL_ENV": "development",
    }
    env.pop("PORTAL_MAIL_SERVER", None)
    flask = Path(sys.executable).with_name("flask")
    worker = subprocess.Popen(
        [str(flask), "outbox", "work", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not list((instance / "mail").glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "outbox: 1 sent, 0 failed, 0 waiting" in output
    assert output.rstrip().endswith("outbox worker stopped")
    [mail] = (instance / "mail").glob("*.eml")
    assert b"Content-Language: ko" in mail.read_bytes()


# aiosmtpd warns of plain-text AUTH (a loopback test server) and of its own deprecated
# attribute when a login succeeds.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")
def test_the_worker_signs_in_to_the_mail_server_and_never_shows_the_password(app, session):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.mail.conftest import Inbox

    def check(server, session_, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        given = [v.decode() if isinstance(v, bytes) else v for v in auth_data]
        ok = given == ["portal", "right-password"]
        return AuthResult(success=ok, handled=False)

    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=check,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        settings = app.extensions["portal.settings"].with_(
            mail_server="127.0.0.1",
            mail_port=port,
            mail_username="portal",
            mail_password="wrong-password",
        )
        [message] = queue(session)
        summary = Worker(app, transport_for(settings), clock=lambda: T0).run_once()
        assert "login refused (SMTP 535)" in summary.failed[0]
        assert "wrong-password" not in row(session, message).last_error
        right = settings.with_(mail_password="right-password")
        later = row(session, message).next_attempt_at
        assert Worker(app, transport_for(right), clock=lambda: later).run_once().sent
        assert len(inbox.mails) == 1
    finally:
        controller.stop()
