"""The register of corrective actions, and whether grievances of their kind fell after them.

A committee's chairs open an action against a root cause or a kind of grievance, with an
owner and a due date, and move it along to completed (or cancelled). The register shows, for
each completed action, how often grievances of that kind were filed with that committee in
the 90 days before the completion and in the 90 days after (or the days since, while they
run), per 30 days, from the daily ledger. Administrators and auditors read the register of
every committee; nobody but a chair changes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.db import utcnow
from portal.domain.errors import InvalidInput, NotFound, PermissionDenied
from portal.domain.measures import EFFECT_WINDOW_DAYS
from portal.i18n import _l
from portal.models.corrective_actions import ActionStatus, CorrectiveAction
from portal.models.kpi_ledger import kpi_days, kpi_root_causes
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import audit
from portal.services.kpis import Scope, scope_for

MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_OWNER = 200
# A due date this far back or ahead is a typing mistake.
DUE_RANGE = timedelta(days=366 * 3)


@dataclass(frozen=True)
class Effect:
    """Grievances of the action's kind per 30 days, before and after its completion."""

    before: int  # grievances in the window before
    after: int  # grievances in the window after (so far)
    before_days: int
    after_days: int

    @property
    def before_rate(self) -> float:
        return 30 * self.before / self.before_days

    @property
    def after_rate(self) -> float | None:
        return 30 * self.after / self.after_days if self.after_days else None

    @property
    def change(self) -> float | None:
        """The change in percent (negative: fewer grievances), None without a baseline."""
        after = self.after_rate
        if after is None or not self.before:
            return None
        return 100 * (after - self.before_rate) / self.before_rate

    @property
    def complete(self) -> bool:
        return self.after_days >= EFFECT_WINDOW_DAYS


@dataclass(frozen=True)
class Entry:
    action: CorrectiveAction
    effect: Effect | None
    overdue: bool


def _chaired(scope: Scope, committee_id: int) -> bool:
    return not scope.oversight and committee_id in scope.ids


def link_of(action: CorrectiveAction) -> str:
    return f"root_cause:{action.root_cause}" if action.root_cause else f"category:{action.category}"


def _parse_link(link: str, policies: PolicySet) -> tuple[str | None, str | None]:
    kind, _, slug = link.partition(":")
    if kind == "root_cause" and slug in policies.root_causes:
        return slug, None
    if kind == "category" and slug in policies.categories:
        return None, slug
    raise InvalidInput(_l("Choose a root cause or a kind of grievance."), "link")


def _text(value: str, field: str, limit: int, missing: str | None) -> str:
    value = value.strip()
    if not value and missing:
        raise InvalidInput(missing, field)
    if len(value) > limit:
        raise InvalidInput(_l("Please keep this under %(max)d characters.", max=limit), field)
    return value


def open_action(
    session: Session,
    actor: User,
    *,
    committee: str,
    title: str,
    description: str,
    owner: str,
    due_on: date,
    link: str,
    policies: PolicySet,
    now: datetime | None = None,
) -> CorrectiveAction:
    """A chair opens an action for a committee they chair."""
    now = now or utcnow()
    scope = scope_for(session, actor)
    found = next((c for c in scope.committees if c.slug == committee), None)
    if found is None or not _chaired(scope, found.id):
        raise PermissionDenied(_l("Only a chair of the committee can open its actions."))
    problems: list[tuple[str | None, str]] = []
    checked: dict[str, str] = {}
    for field, value, limit, missing in (
        ("title", title, MAX_TITLE, _l("Say what will be changed.")),
        ("description", description, MAX_DESCRIPTION, None),
        ("owner", owner, MAX_OWNER, _l("Name who will see it done.")),
    ):
        try:
            checked[field] = _text(value, field, limit, missing)
        except InvalidInput as exc:
            problems.extend(exc.problems)
    today = now.astimezone(policies.calendar.time_zone).date()
    if abs(due_on - today) > DUE_RANGE:
        problems.append(("due_on", _l("Choose a due date within three years of today.")))
    try:
        root_cause, category = _parse_link(link, policies)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidInput.of(problems)
    action = CorrectiveAction(
        committee_id=found.id,
        title=checked["title"],
        description=checked["description"],
        owner=checked["owner"],
        due_on=due_on,
        root_cause=root_cause,
        category=category,
        status=ActionStatus.OPEN.value,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    session.flush()
    audit.record(
        session,
        actor,
        "action.opened",
        "corrective_action",
        action.id,
        {"committee": found.slug, "link": link_of(action), "due": due_on.isoformat()},
        now=now,
    )
    return action


def update_status(
    session: Session,
    actor: User,
    action_id: int,
    status: str,
    completed_on: date | None,
    policies: PolicySet,
    now: datetime | None = None,
) -> CorrectiveAction:
    """Move an action along; a completed one keeps the day it was completed (today if none
    is given, never in the future)."""
    now = now or utcnow()
    scope = scope_for(session, actor)
    action = session.get(CorrectiveAction, action_id)
    if action is None or action.committee_id not in scope.ids:
        raise NotFound(_l("There is no such action."))
    if not _chaired(scope, action.committee_id):
        raise PermissionDenied(_l("Only a chair of the committee can change its actions."))
    if status not in {s.value for s in ActionStatus}:
        raise InvalidInput(_l("Choose a status."), "status")
    today = now.astimezone(policies.calendar.time_zone).date()
    if status == ActionStatus.COMPLETED.value:
        done = completed_on or today
        if done > today:
            raise InvalidInput(_l("An action cannot be completed in the future."), "completed_on")
        if done < action.created_at.astimezone(policies.calendar.time_zone).date() - DUE_RANGE:
            raise InvalidInput(_l("Choose the day it was completed."), "completed_on")
        action.completed_on = done
    else:
        action.completed_on = None
    action.status = status
    action.updated_at = now
    audit.record(
        session,
        actor,
        "action.updated",
        "corrective_action",
        action.id,
        {
            "status": status,
            "completed": action.completed_on.isoformat() if action.completed_on else None,
        },
        now=now,
    )
    return action


def _window_counts(
    session: Session, action: CorrectiveAction, start: date, end: date
) -> dict[date, int]:
    if end < start:
        return {}
    if action.root_cause:
        table, total, match = (
            kpi_root_causes,
            sa.func.sum(kpi_root_causes.c.cases),
            (kpi_root_causes.c.root_cause == action.root_cause),
        )
    else:
        table, total, match = (
            kpi_days,
            sa.func.sum(kpi_days.c.filed),
            (kpi_days.c.category == action.category),
        )
    rows = session.execute(
        sa.select(table.c.day, total)
        .where(
            table.c.committee_id == action.committee_id,
            match,
            table.c.day >= start,
            table.c.day <= end,
        )
        .group_by(table.c.day)
    ).all()
    return {day: int(n or 0) for day, n in rows}


def effect(session: Session, action: CorrectiveAction, today: date) -> Effect | None:
    """Before: the 90 days up to the completion day. After: the 90 days following it, or as
    many as have passed (the day of completion belongs to neither)."""
    if action.status != ActionStatus.COMPLETED.value or action.completed_on is None:
        return None
    done = action.completed_on
    window = timedelta(days=EFFECT_WINDOW_DAYS)
    after_end = min(done + window, today)
    counts = _window_counts(session, action, done - window, after_end)
    before = sum(n for d, n in counts.items() if d < done)
    after = sum(n for d, n in counts.items() if d > done)
    return Effect(before, after, EFFECT_WINDOW_DAYS, max((after_end - done).days, 0))


def register(session: Session, actor: User, policies: PolicySet, today: date) -> list[Entry]:
    """The actions of the committees this person may see: open ones first by due date, then
    completed and cancelled ones, newest first."""
    scope = scope_for(session, actor)
    found = session.scalars(
        sa.select(CorrectiveAction)
        .where(CorrectiveAction.committee_id.in_(scope.ids))
        .options(selectinload(CorrectiveAction.committee))
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
    ).all()
    working = {ActionStatus.OPEN.value, ActionStatus.IN_PROGRESS.value}
    entries = [
        Entry(a, effect(session, a, today), a.status in working and a.due_on < today) for a in found
    ]
    entries.sort(
        key=lambda e: (
            e.action.status not in working,
            e.action.due_on if e.action.status in working else -e.action.id,
        )
    )
    return entries


def may_change(session: Session, actor: User) -> bool:
    return not scope_for(session, actor).oversight
