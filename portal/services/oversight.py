"""The auditor's view of the audit trail: by case reference, by person, newest first.

It reads only the log and plain metadata (references, people's names, committee names):
nothing here unwraps a case's key, so no case content can reach the page. The detail
of an entry holds ids, statuses and counts by contract (audit.record); even so only
plain values are shown, anything else is withheld. Each look at the trail is itself
recorded, so the auditor's reading is on the record too.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.i18n import _l
from portal.models.audit import AuditEntry
from portal.models.committees import Committee
from portal.models.grievances import Attachment, Grievance
from portal.models.users import User
from portal.services import audit
from portal.services.access import require_role
from portal.services.accounts import normalise_email

PAGE_SIZE = 50
MAX_BEFORE = 2**62
# A detail value shown as it is: a short plain word, id, status, slug, date or count.
_PLAIN = re.compile(r"[\w .:@/+-]{0,80}")
# Detail keys whose value names a user (by id), shown with the person's name.
_USER_KEYS = frozenset({"user"})
# Detail keys the page reads for itself rather than listing.
_HIDDEN_KEYS = frozenset({"actor"})
WITHHELD = _l("(not shown)")


@dataclass(frozen=True)
class Filters:
    reference: str = ""
    email: str = ""
    before: int | None = None  # the page ends before this entry id (keyset)


@dataclass(frozen=True)
class Row:
    id: int
    at: datetime
    actor: str  # "user", "case-member" or "system"
    actor_id: int | None
    actor_user: User | None
    action: str
    object_type: str
    object_id: str
    object_label: str | None  # a reference, a person's or committee's name
    detail: list[tuple[str, str]]


@dataclass(frozen=True)
class TrailPage:
    rows: list[Row]
    older: int | None  # `before` for the next (older) page, if any
    case: Grievance | None
    user: User | None


def _find_case(session: Session, reference: str) -> Grievance | None:
    reference = reference.strip().upper()
    if not reference:
        return None
    if len(reference) > 20:
        raise InvalidInput(_l("No case has this reference."), "reference")
    found = session.scalar(sa.select(Grievance).where(Grievance.reference == reference))
    if found is None:
        raise InvalidInput(_l("No case has this reference."), "reference")
    return found


def _find_user(session: Session, email: str) -> User | None:
    if not email.strip():
        return None
    _, key = normalise_email(email)
    found = session.scalar(sa.select(User).where(User.email_key == key))
    if found is None:
        raise InvalidInput(_l("No account has this email address."), "email")
    return found


def _ids(session: Session, stmt: sa.Select[tuple[int]], before: int | None) -> list[int]:
    if before is not None:
        stmt = stmt.where(AuditEntry.id < before)
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)))


def _entry_ids(
    session: Session, case: Grievance | None, user: User | None, before: int | None
) -> list[int]:
    """The ids of the page (one more than fits, to know whether there is an older page).

    Each branch is one indexed range scan, newest first, merged here, so a page costs a
    fixed handful of statements however long the log."""
    pick = sa.select(AuditEntry.id)
    branches: list[sa.Select[tuple[int]]] = []
    if case is not None:
        files = [
            str(i)
            for i in session.scalars(
                sa.select(Attachment.id).where(Attachment.grievance_id == case.id)
            )
        ]
        branches.append(
            pick.where(AuditEntry.object_type == "grievance", AuditEntry.object_id == str(case.id))
        )
        if files:
            branches.append(
                pick.where(AuditEntry.object_type == "attachment", AuditEntry.object_id.in_(files))
            )
        if user is not None:
            branches = [b.where(AuditEntry.actor_id == user.id) for b in branches]
    elif user is not None:
        branches.append(pick.where(AuditEntry.actor_id == user.id))
        branches.append(
            pick.where(AuditEntry.object_type == "user", AuditEntry.object_id == str(user.id))
        )
    else:
        branches.append(pick)
    found: set[int] = set()
    for branch in branches:
        found.update(_ids(session, branch, before))
    return sorted(found, reverse=True)[: PAGE_SIZE + 1]


def _plain(value: object) -> str | None:
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return value if _PLAIN.fullmatch(value) else None
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        shown = [str(v) for v in value]
        return ", ".join(shown) if all(_PLAIN.fullmatch(v) for v in shown) else None
    return None


def _parse(detail: str) -> dict[str, object]:
    try:
        found = json.loads(detail or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _labels(
    session: Session, entries: list[AuditEntry], details: dict[int, dict[str, object]]
) -> tuple[dict[int, User], dict[tuple[str, str], str]]:
    """People (actors and people named by id) and object labels, in one query per kind."""
    user_ids = {e.actor_id for e in entries if e.actor_id is not None}
    user_ids |= {
        int(e.object_id) for e in entries if e.object_type == "user" and e.object_id.isdigit()
    }
    for found in details.values():
        user_ids |= {int(v) for k, v in found.items() if k in _USER_KEYS and isinstance(v, int)}
    users = (
        {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    labels: dict[tuple[str, str], str] = {
        ("user", str(uid)): u.full_name for uid, u in users.items()
    }
    case_ids = _uuids(e.object_id for e in entries if e.object_type == "grievance")
    file_ids = _uuids(e.object_id for e in entries if e.object_type == "attachment")
    if case_ids:
        for cid, ref in session.execute(
            sa.select(Grievance.id, Grievance.reference).where(Grievance.id.in_(case_ids))
        ):
            labels[("grievance", str(cid))] = ref
    if file_ids:
        for fid, ref in session.execute(
            sa.select(Attachment.id, Grievance.reference)
            .join(Grievance, Grievance.id == Attachment.grievance_id)
            .where(Attachment.id.in_(file_ids))
        ):
            labels[("attachment", str(fid))] = ref
    committee_ids = {
        int(e.object_id) for e in entries if e.object_type == "committee" and e.object_id.isdigit()
    }
    if committee_ids:
        for kid, name in session.execute(
            sa.select(Committee.id, Committee.name).where(Committee.id.in_(committee_ids))
        ):
            labels[("committee", str(kid))] = name
    return users, labels


def _uuids(values: object) -> set[uuid.UUID]:
    found = set()
    for value in values:  # type: ignore[attr-defined]
        try:
            found.add(uuid.UUID(value))
        except ValueError:
            continue
    return found


def _detail(found: dict[str, object], users: dict[int, User]) -> list[tuple[str, str]]:
    shown = []
    for key in sorted(found):
        if key in _HIDDEN_KEYS:
            continue
        value = found[key]
        if key in _USER_KEYS and isinstance(value, int) and value in users:
            shown.append((key, users[value].full_name))
        else:
            plain = _plain(value)
            shown.append((key, plain if plain is not None else str(WITHHELD)))
    return shown


def trail(
    session: Session, actor: User, filters: Filters, now: datetime | None = None
) -> TrailPage:
    """One page of the audit trail, newest first, for an auditor; the look is recorded."""
    require_role(actor, Role.AUDITOR)
    problems: list[tuple[str | None, str]] = []
    case = user = None
    try:
        case = _find_case(session, filters.reference)
    except InvalidInput as exc:
        problems += exc.problems
    try:
        user = _find_user(session, filters.email)
    except InvalidInput as exc:
        problems += exc.problems
    if problems:
        raise InvalidInput.of(problems)
    before = filters.before if filters.before and 0 < filters.before < MAX_BEFORE else None
    ids = _entry_ids(session, case, user, before)
    page_ids = ids[:PAGE_SIZE]
    entries = (
        list(
            session.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.id.in_(page_ids))
                .order_by(AuditEntry.id.desc())
            )
        )
        if page_ids
        else []
    )
    details = {e.id: _parse(e.detail) for e in entries}
    users, labels = _labels(session, entries, details)
    rows = []
    for e in entries:
        found = details[e.id]
        kind = (
            "user"
            if e.actor_id is not None
            else ("case-member" if found.get("actor") == audit.CASE_MEMBER else "system")
        )
        rows.append(
            Row(
                id=e.id,
                at=e.at,
                actor=kind,
                actor_id=e.actor_id,
                actor_user=users.get(e.actor_id) if e.actor_id is not None else None,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                object_label=labels.get((e.object_type, e.object_id)),
                detail=_detail(found, users),
            )
        )
    audit.record(
        session,
        actor,
        "audit.viewed",
        "audit",
        "trail",
        {
            "case": str(case.id) if case else None,
            "user": user.id if user else None,
            "before": before,
        },
        now=now,
    )
    older = page_ids[-1] if len(ids) > PAGE_SIZE else None
    return TrailPage(rows, older, case, user)
