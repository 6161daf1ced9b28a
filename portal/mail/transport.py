"""Delivering a written mail: over SMTP, or as an .eml file when no server is configured.

`SmtpTransport` keeps one connection open for a batch and opens it again after an error.
Its errors are `MailError`s: `permanent` when the server refused for good (a 5xx reply to
the recipient, sender or data), else worth retrying (no connection, a timeout, a 4xx).
`unreachable` says the server could not be reached at all, so the rest of a batch would
fail the same way. The password is used to log in and is never part of an error or log.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import EmailPolicy
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Protocol

from portal.mail.render import Rendered


class MailError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, unreachable: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.unreachable = unreachable


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class _MailPolicy(EmailPolicy):
    """policy.SMTP, except that Subject and From with non-ASCII text are encoded by the
    legacy encoder: the modern folder drops the space where it splits encoded words, so a
    Korean subject would read "정보를요청했습니다" for "정보를 요청했습니다"."""

    def _legacy(self, name: str, value: str) -> str | None:
        text = str(value)
        if text.isascii() or name.lower() not in {"subject", "from"}:
            return None
        if name.lower() == "subject":
            encoded = Header(text, "utf-8", header_name=name).encode(linesep=self.linesep)
        else:
            encoded = formataddr(parseaddr(text), charset="utf-8")
        return f"{name}: {encoded}{self.linesep}"

    def fold(self, name: str, value: str) -> str:
        return self._legacy(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        legacy = self._legacy(name, value)
        return legacy.encode("ascii") if legacy else super().fold_binary(name, value)


MAIL_POLICY = _MailPolicy(linesep="\r\n")


def build(
    *,
    sender: str,
    sender_name: str,
    to: str,
    rendered: Rendered,
    message_id: str,
    now: datetime,
) -> EmailMessage:
    """The MIME message: plain text first, HTML as its alternative. The Message-ID is the
    outbox row's, so a mail sent twice (see services/outbox.py) is recognisably the same."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = formataddr((sender_name, sender))
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now.astimezone(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "portal.invalid"
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies, please
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = rendered.language  # after set_content, which drops it
    return message


def _refused(exc: smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused) -> MailError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return MailError(f"recipient refused ({', '.join(map(str, codes))})", permanent=permanent)
    reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
    return MailError(f"SMTP {exc.smtp_code}: {reply}", permanent=exc.smtp_code >= 500)


class SmtpTransport:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self._username, self._password = username, password
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        try:
            if self.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"cannot reach the mail server: {exc}", unreachable=True) from None
        try:
            if self.security == "starttls":
                conn.starttls(context=context)
            if self._username:
                conn.login(self._username, self._password or "")
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise MailError(f"login refused (SMTP {exc.smtp_code})", unreachable=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            conn.close()
            raise MailError(f"cannot reach the mail server: {exc}", unreachable=True) from None
        return conn

    def send(self, message: EmailMessage) -> None:
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._conn.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise _refused(exc) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise MailError(f"the mail server failed: {exc}") from None

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._conn.quit()
            self._drop()


class FileTransport:
    """Development without a mail server: each mail is a file in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        ident = str(message["Message-ID"]).strip("<>").split("@")[0][:8]
        path = self.directory / f"{stamp}-{ident}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(message.as_bytes())

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class MailFile:
    name: str
    to: str
    subject: str
    date: str


def written_files(directory: Path, limit: int = 50) -> list[MailFile]:
    """The newest mails a FileTransport wrote, for the administrator's page."""
    if not directory.is_dir():
        return []
    paths = sorted(directory.glob("*.eml"), reverse=True)[:limit]
    found = []
    parser = BytesHeaderParser(policy=policy.default)
    for path in paths:
        with path.open("rb") as raw:
            headers = parser.parse(raw)
        found.append(
            MailFile(
                path.name,
                str(headers.get("To", "")),
                str(headers.get("Subject", "")),
                str(headers.get("Date", "")),
            )
        )
    return found


def count_files(directory: Path) -> int:
    return sum(1 for _ in directory.glob("*.eml")) if directory.is_dir() else 0
