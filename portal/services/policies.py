"""Recording the policy versions cases are filed under, and comparing two versions.

``record_policy_version(session, policies)`` stores the snapshot of the set the
first time a case is filed under it (on PostgreSQL committed at once), so the
procedure a case was handled by can be shown and diffed after the files change.
"""

from __future__ import annotations

import difflib
import json
import re
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

from portal.db import at_once, insert_for, utcnow
from portal.models.policies import PolicyVersion
from portal.policies.loader import canonical_json
from portal.policies.types import PolicySet

HEX = re.compile(r"[0-9a-f]{6,64}")
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class UnknownVersion(LookupError):
    """No stored policy version matches (or a short prefix matches several)."""


# The versions each database is known to hold committed, by its engine: a version is
# recorded once and never removed, so a process asks about it once, not on every filing.
_KNOWN: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


def record_policy_version(
    session: Session, policies: PolicySet, now: datetime | None = None
) -> None:
    """Store the snapshot of `policies` unless its version is already stored."""
    bind = session.get_bind()
    # Only a session of its own transactions remembers: one bound to a connection (the
    # tests) may be rolled back with everything it saw.
    known = _KNOWN.setdefault(bind, set()) if isinstance(bind, Engine) else set()
    if policies.version in known:
        return
    # By its key alone: the stored snapshot is some 30 KB.
    stored = sa.select(PolicyVersion.version).where(PolicyVersion.version == policies.version)
    if session.scalar(stored) is not None:
        if not session.info.get(_ADDED):  # else it is this transaction's own, not committed
            known.add(policies.version)
        return
    # The first filings under a new version come together after a deploy: the snapshot is
    # committed at once where it can be (`db.at_once`), and a second writer of the same
    # version does nothing rather than fail on the first one's row or wait for its filing.
    added = (
        insert_for(session)(PolicyVersion)
        .values(
            version=policies.version,
            content=canonical_json(policies.snapshot()),
            recorded_at=now or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["version"])
    )
    with at_once(session) as writer:
        writer.execute(added)
    if writer is session:
        session.info[_ADDED] = True  # committed with the session, or rolled back with it
    else:
        known.add(policies.version)  # committed at once


# Session.info key: this transaction stored a snapshot itself (see `_forget_added`).
_ADDED = "portal.policy_version_added"


@event.listens_for(Session, "after_transaction_end")
def _forget_added(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_ADDED, None)


def find_policy_version(session: Session, version: str) -> PolicyVersion:
    """The stored version named by its full hash or a unique prefix of at least 6 characters."""
    version = version.strip().lower()
    if not HEX.fullmatch(version):
        raise UnknownVersion(
            f"{version!r} is not a policy version (6 to 64 hexadecimal characters)"
        )
    rows = session.scalars(
        sa.select(PolicyVersion).where(PolicyVersion.version.startswith(version)).limit(2)
    ).all()
    if not rows:
        raise UnknownVersion(f"unknown policy version {version!r}: no case was filed under it")
    if len(rows) > 1:
        raise UnknownVersion(f"{version!r} matches several policy versions; give more characters")
    return rows[0]


def snapshot_of(row: PolicyVersion) -> dict[str, Any]:
    return json.loads(row.content)


def previous_version(session: Session, row: PolicyVersion) -> PolicyVersion | None:
    """The version recorded just before `row`, or None for the first one."""
    return session.scalar(
        sa.select(PolicyVersion)
        .where(PolicyVersion.recorded_at < row.recorded_at)
        .order_by(PolicyVersion.recorded_at.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Change:
    """One difference between two snapshots.

    `kind` is one of: file_added, file_removed, key_added, key_removed, item_added,
    item_removed, reordered, text_changed (with `lines`, a unified diff), value_changed.
    `before`/`after` are the values shown as JSON text."""

    file: str
    path: str
    kind: str
    before: str = ""
    after: str = ""
    lines: tuple[str, ...] = ()

    def line(self) -> str:
        """The change as one line of `flask policies diff`."""
        where = f"{self.file}: {self.path}" if self.path else self.file
        match self.kind:
            case "file_added" | "file_removed":
                return f"{self.file}: {self.kind.removeprefix('file_')}"
            case "key_removed":
                return f"{where}: removed (was {self.before})"
            case "key_added":
                return f"{where}: added {self.after}"
            case "item_removed":
                return f"{where}: removed {self.before}"
            case "item_added":
                return f"{where}: added {self.after}"
            case "reordered":
                return f"{where}: reordered"
            case "text_changed":
                return f"{where}: changed"
            case _:
                return f"{where}: {self.before} → {self.after}"


def changes_between(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What changed from `old` to `new`, file by file, entry by entry."""
    changes: list[Change] = []
    for file in sorted(old.keys() | new.keys()):
        if file not in new:
            changes.append(Change(file, "", "file_removed"))
        elif file not in old:
            changes.append(Change(file, "", "file_added"))
        elif old[file] != new[file]:
            _walk(file, "", old[file], new[file], changes)
    return changes


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed from `old` to `new`, one line per entry (pages as unified diffs)."""
    lines: list[str] = []
    for change in changes_between(old, new):
        lines.append(change.line())
        lines.extend(f"    {line}" for line in change.lines)
    return lines


@dataclass(frozen=True)
class VersionChanges:
    """A stored version, the one recorded before it, and what changed between them."""

    version: PolicyVersion
    previous: PolicyVersion | None
    changes: list[Change]


def version_changes(session: Session, version: str) -> VersionChanges:
    """What changed in `version` (full hash or unique prefix) since the version before it."""
    row = find_policy_version(session, version)
    previous = previous_version(session, row)
    changes = changes_between(snapshot_of(previous), snapshot_of(row)) if previous else []
    return VersionChanges(row, previous, changes)


def _path(prefix: str, key: str) -> str:
    key = key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{prefix}.{key}" if prefix else key


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _walk(file: str, path: str, a: Any, b: Any, changes: list[Change]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            where = _path(path, key)
            if key not in b:
                changes.append(Change(file, where, "key_removed", before=_show(a[key])))
            elif key not in a:
                changes.append(Change(file, where, "key_added", after=_show(b[key])))
            elif a[key] != b[key]:
                _walk(file, where, a[key], b[key], changes)
    elif isinstance(a, list) and isinstance(b, list):
        before, after = [_show(x) for x in a], [_show(x) for x in b]
        removed = [x for x in before if x not in after]
        added = [x for x in after if x not in before]
        changes.extend(Change(file, path, "item_removed", before=x) for x in removed)
        changes.extend(Change(file, path, "item_added", after=x) for x in added)
        if not removed and not added:
            changes.append(Change(file, path, "reordered"))
    elif isinstance(a, str) and isinstance(b, str) and ("\n" in a or "\n" in b):
        diff = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=1)
        changes.append(Change(file, path, "text_changed", lines=tuple(list(diff)[2:])))
    else:
        changes.append(Change(file, path, "value_changed", before=_show(a), after=_show(b)))
