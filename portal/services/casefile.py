"""The committee's access to a case: who may open it, and as whom they act.

A person may open a case when they do casework (duties.does_casework), sit on the case's
committee or on its grievance panel, and are not conflicted on it (services/conflicts.py).
Anyone else gets NotFound, so the existence of a case is never confirmed to them.
Every opening lands in the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload, undefer
from sqlalchemy.orm.util import identity_key

from portal.db import PREPARED, WRITES_APART, utcnow
from portal.domain import workflow
from portal.domain.errors import InvalidInput, NotFound
from portal.domain.workflow import Mover, Status
from portal.i18n import _l
from portal.models.committees import CommitteeMembership, Seat
from portal.models.grievances import (
    RARE_CHILDREN,
    Attachment,
    Grievance,
    PanelSeat,
    settle_rare_children,
)
from portal.models.users import User
from portal.services import audit, conflicts, duties, notify, timeline

NOT_FOUND = _l("We could not find that grievance.")


@dataclass(frozen=True)
class Standing:
    """How `user` stands on one case: what seat they hold, and so which moves are theirs."""

    seat: str | None  # "reviewer" or "chair" on the case's committee, else None
    on_panel: bool  # seated on the case's panel at its current level

    @property
    def movers(self) -> frozenset[Mover]:
        found = set()
        if self.seat or self.on_panel:
            found.add(Mover.COMMITTEE)
        if self.seat == Seat.CHAIR:
            found.add(Mover.CHAIR)
        return frozenset(found)

    @property
    def is_chair(self) -> bool:
        return self.seat == Seat.CHAIR

    def can(self, current: str, target: Status) -> bool:
        return any(workflow.can_move(current, target, m) for m in self.movers)

    def moves(self, current: str) -> list[Status]:
        """The statuses this person may move the case to now, in the workflow's order."""
        return [s for s in workflow.Status if self.can(current, s)]


def _seat(user: User, committee_id: int) -> sa.Select[tuple[str]]:
    return sa.select(CommitteeMembership.seat).where(
        CommitteeMembership.user_id == user.id,
        CommitteeMembership.committee_id == committee_id,
    )


# Session.info key: the accounts `load_people` brought in.
PEOPLE = "portal.people"
# Session.info key: the standings a read-only session already worked out (see `reachable`).
STANDINGS = "portal.standings"


def reachable(session: Session, user: User | None, case: Grievance) -> Standing | None:
    """The user's standing on the case, or None when they may not open it at all.

    One statement. A session that only reads (a page view) asks once per case and person:
    the page and the services it calls each check access, and nothing can change between."""
    if user is None or not duties.does_casework(user):
        return None
    memo = session.info.setdefault(STANDINGS, {}) if WRITES_APART in session.info else {}
    key = (user.id, case.id, case.committee_id, case.escalation_level)
    if key not in memo:
        memo[key] = _reachable(session, user, case)
    return memo[key]


def _reachable(session: Session, user: User, case: Grievance) -> Standing | None:
    on_panel = sa.exists().where(
        PanelSeat.grievance_id == case.id,
        PanelSeat.user_id == user.id,
        PanelSeat.level == case.escalation_level,
    )
    seat, panel, conflicted = session.execute(
        sa.select(
            _seat(user, case.committee_id).scalar_subquery(),
            on_panel,
            conflicts.named_or_recused(user, case),
        )
    ).one()
    found = Standing(seat, bool(panel))
    if not found.movers or conflicted or case.belongs_to(user):
        return None
    return found


def openable_ids(
    session: Session, user: User | None, case_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `case_ids` `user` may open, in one query (the rule of `reachable`)."""
    if user is None or not case_ids or not duties.does_casework(user):
        return set()
    seated = sa.select(CommitteeMembership.committee_id).where(
        CommitteeMembership.user_id == user.id
    )
    panel = sa.select(PanelSeat.grievance_id).where(
        PanelSeat.user_id == user.id, PanelSeat.level == Grievance.escalation_level
    )
    return set(
        session.scalars(
            sa.select(Grievance.id).where(
                Grievance.id.in_(list(case_ids)),
                sa.or_(
                    Grievance.committee_id.in_(seated), Grievance.id.in_(panel.scalar_subquery())
                ),
                sa.not_(conflicts.excluded_clause(user)),
            )
        )
    )


def committee_case(
    session: Session,
    actor: User,
    reference: str,
    *,
    audit_view: bool = True,
    for_update: bool = False,
) -> tuple[Grievance, Standing]:
    """The case as its committee (or panel) sees it, with the actor's standing; NotFound for
    anyone who may not open it. `for_update` locks the row until commit."""
    if not duties.does_casework(actor):
        raise NotFound(NOT_FOUND)
    case = session.scalar(_committee_case_query(for_update), {"reference": reference})
    if case is not None:
        settle_rare_children(case)
        load_people(session, _named_on_page(case))
    found = reachable(session, actor, case) if case is not None else None
    if case is None or found is None:
        raise NotFound(NOT_FOUND)
    if audit_view:
        audit.record(session, actor, "case.viewed", "grievance", case.id)
    return case, found


@cache
def _committee_case_query(for_update: bool) -> sa.Select[tuple[Grievance]]:
    """The committee's case page's query, built once with the reference as a parameter (as
    the member's page's is: its options and cache key cost about as much as running it)."""
    stmt = sa.select(Grievance).where(Grievance.reference == sa.bindparam("reference"))
    if for_update:
        stmt = stmt.with_for_update(of=Grievance)
    return stmt.options(
        # With everyone the page names (load_people), so it costs the same few queries
        # however many events and messages the case has (tests/web/test_query_counts.py).
        selectinload(Grievance.events),
        selectinload(Grievance.messages),
        selectinload(Grievance.notes),
        selectinload(Grievance.decisions),
        *(undefer(flag) for flag, _children in RARE_CHILDREN),
        undefer(Grievance.has_merged),
        undefer(Grievance.has_links),
        joinedload(Grievance.committee),
    ).execution_options(**{PREPARED: True})


def _named_on_page(case: Grievance) -> set[int | None]:
    people = {case.assignee_id, case.recorded_by_id}
    people |= {e.actor_id for e in case.events} | {m.author_id for m in case.messages}
    people |= {n.author_id for n in case.notes} | {d.decided_by_id for d in case.decisions}
    people |= {x.by_id for x in case.extensions}
    if not case.identity_hidden:
        people.add(case.member_user_id())  # a withheld identity is never decrypted
    return people


def load_people(session: Session, ids: Collection[int | None]) -> None:
    """The accounts with these ids, in one query for those the session does not hold yet:
    then `event.actor`, `note.author` and the like are read from it without a query each."""
    missing = {i for i in ids if i and session.identity_map.get(identity_key(User, i)) is None}
    if missing:
        # Held here for the session's life: its identity map keeps objects only weakly.
        found = session.scalars(sa.select(User).where(User.id.in_(missing))).all()
        session.info.setdefault(PEOPLE, []).extend(found)


def plain_moves(standing: Standing, case: Grievance) -> list[Status]:
    """The moves the case page offers as plain buttons (see workflow.DEDICATED)."""
    return [s for s in standing.moves(case.status) if s not in workflow.DEDICATED]


def move(
    session: Session,
    actor: User,
    case: Grievance,
    standing: Standing,
    target: str,
    now: datetime | None = None,
) -> Status:
    """A plain status move by the committee, as the workflow allows this person."""
    try:
        wanted = Status(target)
    except ValueError:
        raise InvalidInput(_l("Choose one of the actions shown.")) from None
    if wanted not in plain_moves(standing, case):
        raise InvalidInput(
            _l(
                "This grievance is “%(status)s” now, so that cannot be done. "
                "The page shows what it is now.",
                status=workflow.info(case.status).label,
            )
        )
    now = now or utcnow()
    mover = next(m for m in sorted(standing.movers) if workflow.can_move(case.status, wanted, m))
    if wanted == Status.CLOSED:
        case.closed_at = now
    timeline.move(session, case, wanted, mover, actor, now=now)
    notify.status_changed(session, case, now)
    return wanted


def attachment(session: Session, actor: User, case: Grievance, attachment_id: str) -> Attachment:
    """An evidence file of a case the actor has opened (or of a duplicate merged into it);
    each download is audited."""
    try:
        key = uuid.UUID(attachment_id)
    except ValueError:
        raise NotFound(_l("We could not find that file.")) from None
    found = session.get(Attachment, key)
    # A case shows the files of the duplicates merged into it (services/merging.py).
    if found is None or (
        found.grievance_id != case.id and found.grievance.merged_into_id != case.id
    ):
        raise NotFound(_l("We could not find that file."))
    audit.record(
        session,
        actor,
        "case.evidence_downloaded",
        "attachment",
        found.id,
        {"case": str(case.id)},
    )
    return found
