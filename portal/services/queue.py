"""The case queue: open cases of the committees where a person sits, what is due first.

Everything is filtered, counted and ordered in SQL on metadata; only the subjects of the
page shown are decrypted. A page costs the same few statements whatever the data size:
the seats, the page of cases (with assignees and committees loaded in one go each), the
members named on the page in one query, and one grouped count.

SLA state in SQL: a case is `paused` while it waits for the member, `overdue` once the
pending promise (the first response until it is given, then the decision) has passed,
`due_soon` once the SLA sweep has marked it (it runs every minute), else `on_track`.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import ColumnElement

from portal.db import utcnow
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.domain.workflow import OPEN_STATUSES, Status
from portal.i18n import _l
from portal.models.committees import Committee, CommitteeMembership, Seat
from portal.models.grievances import Grievance, PanelSeat, pending_due
from portal.models.users import User
from portal.services import audit, conflicts, duties
from portal.services.cases import WITHHELD

PAGE_SIZE = 25
SLA_STATES = ("overdue", "due_soon", "on_track", "paused")
SORTS = ("due", "filed", "activity")
MINE, UNASSIGNED = "mine", "unassigned"


@dataclass(frozen=True)
class Filters:
    status: str = ""
    priority: str = ""
    category: str = ""
    assignee: str = ""  # "mine", "unassigned" or a user id
    sla: str = ""
    channel: str = ""
    level: int | None = None
    sort: str = "due"

    def check(self) -> Filters:
        if self.status and self.status not in {s.value for s in OPEN_STATUSES}:
            raise InvalidInput(_l("Choose a status from the list."), "status")
        if self.sla and self.sla not in SLA_STATES:
            raise InvalidInput(_l("Choose a deadline state from the list."), "sla")
        if self.sort not in SORTS:
            raise InvalidInput(_l("Choose an order from the list."), "sort")
        if self.assignee not in ("", MINE, UNASSIGNED) and not (
            self.assignee.isdigit() and len(self.assignee) < 12
        ):
            raise InvalidInput(_l("Choose a reviewer from the list."), "assignee")
        return self


@dataclass
class QueueRow:
    case: Grievance
    sla: str
    due_at: datetime
    member: str
    assignee: str | None = None  # the assigned reviewer's name


@dataclass
class QueuePage:
    rows: list[QueueRow]
    counts: dict[str, int]  # per SLA state, over the filtered queue
    total: int
    next_cursor: str | None
    committees: list[Committee] = field(default_factory=list)
    chair_of: set[int] = field(default_factory=set)


def _sla_expr(now: datetime) -> ColumnElement[str]:
    return sa.case(
        (Grievance.status == Status.AWAITING_MEMBER.value, sa.literal("paused")),
        (pending_due() < now, sa.literal("overdue")),
        # The sweep's mark belongs to the promise pending when it was made: one made before
        # the first response was given is not a warning about the decision date.
        (
            sa.and_(
                Grievance.due_soon_marked_at.is_not(None),
                sa.or_(
                    Grievance.first_response_at.is_(None),
                    Grievance.due_soon_marked_at >= Grievance.first_response_at,
                ),
            ),
            sa.literal("due_soon"),
        ),
        else_=sa.literal("on_track"),
    )


def _seats(session: Session, actor: User) -> list[CommitteeMembership]:
    return list(
        session.scalars(
            sa.select(CommitteeMembership)
            .where(CommitteeMembership.user_id == actor.id)
            .options(joinedload(CommitteeMembership.committee))
        )
    )


def _encode(value: datetime, case_id: uuid.UUID) -> str:
    raw = f"{value.isoformat()}|{case_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, case_id = raw.split("|", 1)
        return datetime.fromisoformat(value), uuid.UUID(case_id)
    except (ValueError, UnicodeDecodeError):
        return None


def queue(
    session: Session,
    actor: User,
    filters: Filters,
    cursor: str | None = None,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the actor's queue (a person with no seat sees an empty one); flushes the
    audit entry of the listing."""
    duties.require_casework(actor)
    filters.check()
    now = now or utcnow()
    seats = _seats(session, actor)
    committee_ids = [s.committee_id for s in seats]
    reach = Grievance.committee_id.in_(committee_ids)
    if actor.has_role(Role.PANEL):
        # Only panel members sit on panels; for everyone else the OR would keep the
        # database from reading the committee's open cases through their index.
        panel_cases = (
            sa.select(PanelSeat.grievance_id)
            .where(PanelSeat.user_id == actor.id, PanelSeat.level == Grievance.escalation_level)
            .scalar_subquery()
        )
        reach = sa.or_(reach, Grievance.id.in_(panel_cases))
    where: list[ColumnElement[bool]] = [
        Grievance.is_open.is_(True),
        Grievance.merged_into_id.is_(None),
        reach,
        sa.not_(conflicts.excluded_clause(actor)),
    ]
    if filters.status:
        where.append(Grievance.status == filters.status)
    if filters.priority:
        where.append(Grievance.priority == filters.priority)
    if filters.category:
        where.append(Grievance.category == filters.category)
    if filters.channel:
        where.append(Grievance.channel == filters.channel)
    if filters.level is not None:
        where.append(Grievance.escalation_level == filters.level)
    if filters.assignee == MINE:
        where.append(Grievance.assignee_id == actor.id)
    elif filters.assignee == UNASSIGNED:
        where.append(Grievance.assignee_id.is_(None))
    elif filters.assignee:
        where.append(Grievance.assignee_id == int(filters.assignee))
    state = _sla_expr(now)
    counted = list(where)
    if filters.sla:
        where.append(state == filters.sla)

    rows = session.execute(sa.select(state, sa.func.count()).where(*counted).group_by(state)).all()
    counts = {s: 0 for s in SLA_STATES}
    counts.update({s: n for s, n in rows})
    total = counts[filters.sla] if filters.sla else sum(counts.values())

    chair_of = {s.committee_id for s in seats if s.seat == Seat.CHAIR}
    key, descending = _sort_key(filters.sort)
    order: list[ColumnElement[object]] = []
    if chair_of and filters.sort == "due":
        # A chair sees unassigned cases of their committees first.
        order.append(
            sa.case(
                (
                    sa.and_(Grievance.assignee_id.is_(None), Grievance.committee_id.in_(chair_of)),
                    0,
                ),
                else_=1,
            )
        )
    order += [key.desc(), Grievance.id.desc()] if descending else [key, Grievance.id]
    stmt = sa.select(Grievance, state, pending_due()).where(*where)
    after = _decode(cursor) if cursor and cursor[:1] != "o" else None
    if after is not None and not order[:-2]:
        compare = sa.tuple_(key, Grievance.id)
        bound = sa.tuple_(sa.literal(after[0]), sa.literal(after[1], sa.Uuid))
        stmt = stmt.where(compare < bound if descending else compare > bound)
    offset = 0
    if cursor and cursor[:1] == "o" and cursor[1:].isdigit() and len(cursor) < 9:
        offset = int(cursor[1:])  # the chair's ordering pages by offset
    found = session.execute(stmt.order_by(*order).limit(PAGE_SIZE + 1).offset(offset)).all()
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    cases = [case for case, _s, _d in found]
    # Each member's id is encrypted: opened once a row, for the names query and the label.
    members = {c.id: c.member_user_id() for c in cases if not c.identity_hidden}
    names = _names(session, cases, members)
    page = [
        QueueRow(
            case, s, due, _member_label(case, members, names), names.get(case.assignee_id or 0)
        )
        for case, s, due in found
    ]
    next_cursor = None
    if more and page:
        last = page[-1].case
        if order[:-2]:
            next_cursor = f"o{offset + PAGE_SIZE}"
        else:
            value = {"due": page[-1].due_at, "filed": last.submitted_at}.get(
                filters.sort, last.last_activity_at
            )
            next_cursor = _encode(value, last.id)
    if page:  # the subjects shown are case content: the listing is a read, so it is audited
        audit.record(session, actor, "queue.listed", "user", actor.id, {"cases": len(page)})
    committees = [s.committee for s in seats]
    return QueuePage(page, counts, total, next_cursor, committees, chair_of)


def _sort_key(sort: str) -> tuple[ColumnElement[datetime], bool]:
    if sort == "filed":
        return Grievance.submitted_at, True
    if sort == "activity":
        return Grievance.last_activity_at, True
    return pending_due(), False


def _names(
    session: Session, cases: list[Grievance], members: dict[uuid.UUID, int]
) -> dict[int, str]:
    """The names of the members (`members`: their ids by case, for cases that show them) and
    reviewers on a page, in one query of two columns."""
    ids = {c.assignee_id for c in cases if c.assignee_id} | set(members.values())
    if not ids:
        return {}
    rows = session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _member_label(case: Grievance, members: dict[uuid.UUID, int], names: dict[int, str]) -> str:
    """How the case's member is shown: withheld, their name, or a dash while unclaimed."""
    if case.identity_hidden:
        return str(WITHHELD)
    return names.get(members[case.id], "—")
