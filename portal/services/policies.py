"""Recording the policy versions cases are filed under, and comparing two versions.

``record_policy_version(session, policies)`` stores the snapshot of the set the
first time a case is filed under it (flush only; the caller commits), so the
procedure a case was handled by can be shown and diffed after the files change.
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models.policies import PolicyVersion
from portal.policies.loader import canonical_json
from portal.policies.types import PolicySet

HEX = re.compile(r"[0-9a-f]{6,64}")
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class UnknownVersion(LookupError):
    """No stored policy version matches (or a short prefix matches several)."""


def record_policy_version(
    session: Session, policies: PolicySet, now: datetime | None = None
) -> None:
    """Store the snapshot of `policies` unless its version is already stored."""
    if session.get(PolicyVersion, policies.version) is not None:
        return
    session.add(
        PolicyVersion(
            version=policies.version,
            content=canonical_json(policies.snapshot()),
            recorded_at=now or utcnow(),
        )
    )
    session.flush()


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


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed from `old` to `new`, one line per entry (pages as unified diffs)."""
    lines: list[str] = []
    for file in sorted(old.keys() | new.keys()):
        if file not in new:
            lines.append(f"{file}: removed")
        elif file not in old:
            lines.append(f"{file}: added")
        elif old[file] != new[file]:
            _walk(file, "", old[file], new[file], lines)
    return lines


def _path(prefix: str, key: str) -> str:
    key = key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{prefix}.{key}" if prefix else key


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _walk(file: str, path: str, a: Any, b: Any, lines: list[str]) -> None:
    where = f"{file}: {path}" if path else file
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if key not in b:
                lines.append(f"{file}: {_path(path, key)}: removed (was {_show(a[key])})")
            elif key not in a:
                lines.append(f"{file}: {_path(path, key)}: added {_show(b[key])}")
            elif a[key] != b[key]:
                _walk(file, _path(path, key), a[key], b[key], lines)
    elif isinstance(a, list) and isinstance(b, list):
        before, after = [_show(x) for x in a], [_show(x) for x in b]
        removed = [x for x in before if x not in after]
        added = [x for x in after if x not in before]
        lines.extend(f"{where}: removed {x}" for x in removed)
        lines.extend(f"{where}: added {x}" for x in added)
        if not removed and not added:
            lines.append(f"{where}: reordered")
    elif isinstance(a, str) and isinstance(b, str) and ("\n" in a or "\n" in b):
        lines.append(f"{where}: changed")
        diff = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=1)
        lines.extend(f"    {line}" for line in list(diff)[2:])  # skip the ---/+++ header
    else:
        lines.append(f"{where}: {_show(a)} → {_show(b)}")
