"""`flask audit verify|anchor`: prove the history has not been edited."""

from __future__ import annotations

import logging.handlers
import socket

import click
from flask.cli import AppGroup

from portal import db
from portal.security import keys
from portal.security.audit_seal import BadAnchor, parse_anchor
from portal.services import audit, audit_verify

group = AppGroup("audit", help="Check the tamper-evident audit log.")


@group.command("verify")
@click.option(
    "--anchor",
    "anchor_text",
    metavar="VALUE",
    help="An anchor printed earlier by `flask audit anchor`: also prove nothing before it changed.",
)
def verify(anchor_text: str | None) -> None:
    """Walk the whole chain; exit non-zero and name every entry that was tampered with."""
    anchor = None
    if anchor_text:
        try:
            anchor = parse_anchor(keys.current().index_root, anchor_text)
        except BadAnchor as exc:
            raise click.ClickException(str(exc)) from None
    session = db.session()
    total = audit.count(session)
    problems: list[audit_verify.Problem] = []
    with click.progressbar(length=total, label="Verifying audit log") as bar:
        for item in audit_verify.verify(session, anchor=anchor):
            if isinstance(item, audit_verify.Problem):
                problems.append(item)
            bar.update(1)
    for problem in problems:
        click.echo(f"TAMPERED {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{total} entries verified; the chain is intact.")
    if anchor is not None:
        click.echo(f"The {anchor.entries} entries up to the anchor taken {anchor.at} match it.")


def _syslog_handler(address: str) -> logging.Handler:
    if address.startswith("/"):
        return logging.handlers.SysLogHandler(address=address)
    host, _, port = address.rpartition(":")
    return logging.handlers.SysLogHandler(
        address=(host or "127.0.0.1", int(port or 514)), socktype=socket.SOCK_DGRAM
    )


@group.command("anchor")
@click.option("--syslog", "to_syslog", is_flag=True, help="Also send the anchor to syslog.")
@click.option(
    "--syslog-address",
    default="/dev/log",
    show_default=True,
    help="A socket path, or host:port for UDP.",
)
def anchor(to_syslog: bool, syslog_address: str) -> None:
    """Print a sealed copy of the chain head to keep off this host.

    Later, `flask audit verify --anchor VALUE` proves that no entry up to this
    point was removed or rewritten, even if the log is wiped or an old head is
    put back."""
    value = str(audit.anchor(db.session()))
    db.on_disk(db.session())  # nothing it seals may be lost to a crash after it is shown
    click.echo(value)
    if to_syslog:
        logger = logging.getLogger("portal.audit.anchor")
        handler = _syslog_handler(syslog_address)
        handler.setFormatter(logging.Formatter("portal: %(message)s"))
        logger.addHandler(handler)
        try:
            logger.warning("audit anchor %s", value)
        finally:
            logger.removeHandler(handler)
            handler.close()
