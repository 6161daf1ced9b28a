"""The monthly report for the board: a month's figures, the year's trend, causes and actions.

Built from the same dashboard and register as the pages (so the report and the screen never
disagree), for the committees the reader may see. Every download is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from portal.domain.errors import InvalidInput
from portal.i18n import _l
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.services import actions, audit, kpis

MONTHS_BACK = 60


@dataclass(frozen=True)
class Report:
    month: date  # its first day
    last_day: date  # the month's last day, or today for the month under way
    month_figures: kpis.Dashboard
    year_figures: kpis.Dashboard  # the twelve months ending with this one
    actions: list[actions.Entry]
    made_at: datetime


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months_before(month: date, count: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 - count, 12)
    return date(year, index + 1, 1)


def parse_month(text: str, today: date) -> date:
    """ "2026-11" -> 1 November 2026; a month to come, or more than five years back, is refused."""
    try:
        year, number = (int(part) for part in text.split("-"))
        month = date(year, number, 1)
    except ValueError:
        raise InvalidInput(_l("Choose a month from the list."), "month") from None
    if month > today.replace(day=1) or month < months_before(today.replace(day=1), MONTHS_BACK):
        raise InvalidInput(_l("Choose a month from the list."), "month")
    return month


def monthly(
    session: Session,
    actor: User,
    month: date,
    committee: str,
    policies: PolicySet,
    today: date,
    now: datetime,
) -> Report:
    last = min(month_end(month), today)
    figures = kpis.dashboard(
        session, actor, kpis.Filters(month, last, committee=committee), policies, today
    )
    year = kpis.dashboard(
        session,
        actor,
        kpis.Filters(months_before(month, 11), last, committee=committee),
        policies,
        today,
    )
    entries = actions.register(session, actor, policies, today)
    if committee:
        entries = [e for e in entries if e.action.committee.slug == committee]
    audit.record(
        session,
        actor,
        "report.downloaded",
        "dashboard",
        month.strftime("%Y-%m"),
        {"committee": committee or None},
        now=now,
    )
    return Report(month, last, figures, year, entries, now)
