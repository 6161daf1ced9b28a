"""The dashboard's figures on a fixed set of cases, against values worked out by hand.

London in March 2026 is on GMT, so these UTC times are the association's times; the working
day is 09:00 to 17:00, Monday to Friday. The member-services committee gets five cases:

  A  billing   Mon 2 09:00 (Fiona)  reply Mon 2 13:00 (4 h, on time)   decided Wed 4 13:00 (20 h)
  B  benefits  Mon 2 16:00 (Gus)    reply Tue 3 11:00 (1 + 2 = 3 h)     decided Fri 6 16:00 (32 h)
  C  billing   Wed 4 10:00 (Fiona: repeats A)  reply Fri 6 12:00 (7 + 8 + 3 = 18 h, due Thu 10:00: late)
  D  events    Thu 5 09:00 (Gus)    withdrawn Thu 5 12:00
  E  benefits  Mon 9 09:00 (Fiona)  no reply: the sweep on Tue 10 records the miss and escalates

and the ethics committee one (F), which only the oversight roles count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.grievances import Grievance
from portal.models.kpi_ledger import (
    COLUMNS,
    kpi_days,
    kpi_month_causes,
    kpi_months,
    kpi_root_causes,
)
from portal.models.surveys import SurveyAnswer
from portal.services import (
    casefile,
    cases,
    casework,
    decisions,
    kpi_export,
    kpi_rebuild,
    kpis,
    root_causes,
    sweep,
)
from tests.factories import make_case, make_policy_committees, make_user, seat

TODAY = date(2026, 3, 20)
MARCH = kpis.Filters(date(2026, 3, 1), date(2026, 3, 31))


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def world(app, session):  # type: ignore[no-untyped-def]
    policies = app.extensions["portal.policies"]
    committees = make_policy_committees(session, policies)
    people = {
        "chair": make_user(session, Role.CHAIR, name="Carl Chair"),
        "reviewer": make_user(session, Role.REVIEWER, name="Rita Reviewer"),
        "ethics_chair": make_user(session, Role.CHAIR, name="Eve Ethics"),
        "fiona": make_user(session, Role.MEMBER, name="Fiona Filer"),
        "gus": make_user(session, Role.MEMBER, name="Gus Grieved"),
        "admin": make_user(session, Role.ADMIN, name="Ada Admin"),
        "auditor": make_user(session, Role.AUDITOR, name="Aud Auditor"),
    }
    seat(session, committees["member-services"], people["chair"], Seat.CHAIR)
    seat(session, committees["member-services"], people["reviewer"])
    seat(session, committees["ethics"], people["ethics_chair"], Seat.CHAIR)
    chair = people["chair"]

    def file(who: str, category: str, when: datetime) -> Grievance:
        return make_case(app, session, people[who], now=when, category=category)

    def reply(case: Grievance, when: datetime) -> None:
        found, standing = casefile.committee_case(session, chair, case.reference)
        casework.send_reply(
            session, chair, found, standing, "We are on it.", now=when, calendar=policies.calendar
        )

    def decide(case: Grievance, when: datetime) -> None:
        found, standing = casefile.committee_case(session, chair, case.reference)
        decisions.record_decision(
            session, chair, found, standing, outcome="upheld", rationale="It was wrong.",
            remedy="", clauses=["remedies"], policies=policies, now=when,
        )  # fmt: skip

    a = file("fiona", "billing", at(2, 9))
    b = file("gus", "benefits", at(2, 16))
    reply(a, at(2, 13))
    reply(b, at(3, 11))
    c = file("fiona", "billing", at(4, 10))
    decide(a, at(4, 13))
    d = file("gus", "events", at(5, 9))
    cases.withdraw(session, people["gus"], d, "Sorted out.", policies.calendar, now=at(5, 12))
    decide(b, at(6, 16))
    reply(c, at(6, 12))
    e = file("fiona", "benefits", at(9, 9))
    f = file("gus", "ethics", at(3, 9))
    sweep.sweep(session, policies, at(10, 10))
    found, standing = casefile.committee_case(session, chair, a.reference)
    root_causes.tag(
        session, chair, found, standing, "billing-system", ["Card charged twice"], policies
    )
    session.commit()  # the ledger is written when a transaction commits
    return {
        "policies": policies,
        "people": people,
        "cases": dict(zip("abcdef", [a, b, c, d, e, f])),
    }


def figures(world, who: str = "chair", filters: kpis.Filters = MARCH):  # type: ignore[no-untyped-def]
    return kpis.dashboard(
        kpis_session(world), world["people"][who], filters, world["policies"], TODAY
    )


def kpis_session(world):  # type: ignore[no-untyped-def]
    return sa.inspect(world["people"]["chair"]).session


def test_the_figures_are_those_worked_out_by_hand(world) -> None:
    """Working hours stored when each promise was kept or missed, and the sums over them."""
    a, b, c, d, e, _f = world["cases"].values()
    assert (a.first_response_hours, a.first_response_met) == (4.0, True)
    assert (a.resolution_hours, a.resolution_met) == (20.0, True)
    assert (b.first_response_hours, b.resolution_hours) == (3.0, 32.0)
    assert (c.first_response_hours, c.first_response_met) == (18.0, False)
    assert c.is_repeat and not a.is_repeat and not e.is_repeat  # E is benefits, not billing
    assert e.escalated_at == at(10, 10) and e.first_response_hours is None
    assert d.status == "withdrawn" and d.first_response_hours is None

    # What the chair of member-services sees for March.
    t = figures(world).totals
    assert (t["filed"], t["open"], t["resolved"], t["withdrawn"]) == (5, 2, 2, 1)
    assert (t["escalated"], t["appealed"], t["repeats"]) == (1, 0, 1)
    assert t.escalation_rate == 20.0 and t.repeat_rate == 20.0 and t.appeal_rate == 0.0
    # First responses: A and B on time; C late, E missed (recorded by the sweep).
    assert t.first_response_compliance == 50.0
    assert t.resolution_compliance == 100.0
    # Hours 3, 4 and 18 in the bins [3, 4), [4, 5) and [16, 20). The median (rank 1.5 of 3)
    # lies half way into [4, 5): 4.5; the 90th percentile (rank 2.7) 0.7 into [16, 20).
    assert t.first_response(0.5) == pytest.approx(4.5)
    assert t.first_response(0.9) == pytest.approx(16 + 0.7 * 4)
    # Decisions 20 and 32 hours, in [20, 24) and [32, 36): rank 1 ends the first bin.
    assert t.resolution(0.5) == pytest.approx(24.0)
    assert t.resolution(0.9) == pytest.approx(32 + 0.8 * 4)

    # Breakdowns, filters, root causes and the backlog.
    d = figures(world)
    by_kind = {k: c["filed"] for k, c in d.categories.rows}
    assert by_kind == {"benefits": 2, "billing": 2, "events": 1}
    assert d.root_causes == [("billing-system", 1)]
    # Open now: C (16 days old) and E (11 days), whatever the period.
    assert [n for _low, _high, n in d.backlog] == [0, 2, 0, 0]
    billing = figures(world, filters=kpis.Filters(MARCH.start, MARCH.end, category="billing"))
    assert (billing.totals["filed"], billing.totals["resolved"], billing.totals["repeats"]) == (
        2,
        1,
        1,
    )
    early = figures(world, filters=kpis.Filters(date(2026, 3, 1), date(2026, 3, 3)))
    assert early.totals["filed"] == 2  # A and B; the chair does not count F (ethics)
    assert early.step == "day" and {k: c["filed"] for k, c in early.series.rows} == {
        date(2026, 3, 2): 2
    }


def test_who_sees_what(world) -> None:
    """Oversight: every committee, figures only. Chairs: their committees. Others: nothing."""
    for who in ("admin", "auditor"):
        d = figures(world, who)
        assert d.scope.oversight and d.totals["filed"] == 6
        with pytest.raises(PermissionDenied):
            kpi_export.case_list(
                kpis_session(world), world["people"][who], MARCH, world["policies"], "en"
            )
    for who in ("reviewer", "fiona"):
        with pytest.raises(PermissionDenied):
            figures(world, who)
    with pytest.raises(InvalidInput) as refused:
        figures(world, filters=kpis.Filters(MARCH.start, MARCH.end, committee="ethics"))
    assert refused.value.field == "committee"
    with pytest.raises(InvalidInput):
        figures(world, filters=kpis.Filters(MARCH.end, MARCH.start))
    # The chair's case list: metadata of their committee's cases only.
    listing = kpi_export.case_list(
        kpis_session(world), world["people"]["chair"], MARCH, world["policies"], "en"
    )
    rows = list(listing.rows)
    refs = {r[0] for r in rows}
    cases_ = world["cases"]
    assert refs == {cases_[k].reference for k in "abcde"}
    text = repr(rows)
    assert "Charged twice" not in text and "Fiona" not in text  # no content, no names


def test_the_ledger_kept_at_every_commit_equals_one_rebuilt_from_the_cases(world) -> None:
    session = kpis_session(world)

    def rows(table):  # type: ignore[no-untyped-def]
        found = session.execute(sa.select(table).order_by(*table.primary_key)).all()
        return [tuple(r) for r in found if any(r[-1:] if "cases" in table.c else r[7:])]

    def snapshot():  # type: ignore[no-untyped-def]
        return [rows(t) for t in (kpi_days, kpi_root_causes, kpi_months, kpi_month_causes)]

    before = snapshot()
    assert not kpi_rebuild.behind(session)
    done = kpi_rebuild.rebuild(session, world["policies"].calendar)
    assert done.cases == 6 and done.measured == 0
    assert snapshot() == before


def test_the_ledger_moves_when_the_transaction_commits_and_not_on_a_rollback(app, session):
    make_policy_committees(session, app.extensions["portal.policies"])
    member = make_user(session, Role.MEMBER)
    session.commit()

    def filed() -> int:
        return session.scalar(sa.select(sa.func.coalesce(sa.func.sum(kpi_days.c.filed), 0)))

    before = filed()
    make_case(app, session, member)
    make_case(app, session, member, subject="Charged again")
    assert filed() == before  # written, in the same transaction, only as it commits
    session.commit()
    assert filed() == before + 2
    make_case(app, session, member, subject="Never sent")
    session.rollback()
    assert filed() == before + 2


def test_a_savepoint_rolled_back_takes_its_ledger_moves_with_it(app, session):
    make_policy_committees(session, app.extensions["portal.policies"])
    member = make_user(session, Role.MEMBER)
    make_case(app, session, member)
    session.commit()
    before = session.scalar(sa.select(sa.func.sum(kpi_days.c.filed)))
    make_case(app, session, member, subject="Kept")
    savepoint = session.begin_nested()
    make_case(app, session, member, subject="Undone")
    savepoint.rollback()
    session.commit()
    assert session.scalar(sa.select(sa.func.sum(kpi_days.c.filed))) == before + 1


def test_a_rebuild_counts_a_case_filed_in_its_transaction_once(app, session):
    make_policy_committees(session, app.extensions["portal.policies"])
    make_case(app, session, make_user(session, Role.MEMBER))  # its moves still pending
    kpi_rebuild.rebuild(session, app.extensions["portal.policies"].calendar)
    session.commit()
    cases = session.scalar(sa.select(sa.func.count()).select_from(Grievance))
    assert session.scalar(sa.select(sa.func.sum(kpi_days.c.filed))) == cases
    assert not kpi_rebuild.behind(session)


def test_the_monthly_ledger_holds_the_daily_one_summed_by_month(world) -> None:
    session = kpis_session(world)
    names = [c.name for c in kpi_days.c if c.name not in ("day", "week")]
    by_month = session.execute(
        sa.select(*(sa.func.sum(kpi_days.c[n]) if n in COLUMNS else kpi_days.c[n] for n in names))
        .group_by(kpi_days.c.month, kpi_days.c.committee_id, kpi_days.c.category,
                  kpi_days.c.channel, kpi_days.c.priority)
    ).all()  # fmt: skip
    months = session.execute(sa.select(*(kpi_months.c[n] for n in names))).all()
    assert sorted(map(tuple, by_month)) == sorted(map(tuple, months))
    assert sum(r.filed for r in session.execute(sa.select(kpi_months))) == 6


@pytest.mark.parametrize(
    "start, end",
    [
        (date(2025, 9, 4), date(2026, 3, 31)),  # whole months, a few days before them
        (date(2026, 3, 4), date(2026, 10, 31)),  # from March 4: A, B and F are left out
    ],
)
def test_a_long_period_reads_whole_months_and_counts_what_the_days_count(
    world, monkeypatch, start, end
) -> None:
    session = kpis_session(world)
    engine = session.get_bind()
    statements: list[str] = []

    def seen(_c, _cur, statement, *_rest):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        monthly = figures(world, "admin", kpis.Filters(start, end))
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert any("FROM kpi_months" in s for s in statements)
    assert any("FROM kpi_month_causes" in s for s in statements)

    monkeypatch.setattr(
        kpis.Where, "parts", lambda self, days, _months: [(days, self.clauses(days))]
    )
    daily = figures(world, "admin", kpis.Filters(start, end))

    for name in ("totals", "series", "categories", "channels", "priorities", "committees"):
        assert getattr(monthly, name) == getattr(daily, name), name
    assert monthly.root_causes == daily.root_causes
    # All six were filed in March; from March 4 only C, D and E.
    assert monthly.totals["filed"] == (6 if start.month == 9 else 3)


def test_survey_figures_follow_the_five_answer_rule(app, session):
    """13 answers about March decisions: billing 5, benefits 6, events 2. Events is hidden (under
    five), so the smallest group shown (billing) is hidden too: it would follow from the rest."""
    policies = app.extensions["portal.policies"]
    committees = make_policy_committees(session, policies)
    chair = make_user(session, Role.CHAIR)
    seat(session, committees["member-services"], chair, Seat.CHAIR)
    scores = {
        "billing": ([5, 4, 4, 3, 5], [4] * 5, [5, 5, 4, 4, 3], [10, 9, 8, 6, 10]),
        "benefits": ([2, 3, 4, 5, 1, 3], [3] * 6, [4, 4, 4, 4, 4, 2], [9, 9, 9, 0, 5, 7]),
        "events": ([4, 4], [4, 4], [4, 4], [10, 3]),
    }
    for category, (outcome, process, fairness, recommend) in scores.items():
        for o, p, f, r in zip(outcome, process, fairness, recommend, strict=True):
            session.add(
                SurveyAnswer.new(
                    None,
                    committee_id=committees["member-services"].id,
                    category=category,
                    decided_month=date(2026, 3, 1),
                    outcome_score=o,
                    process_score=p,
                    fairness_score=f,
                    recommend_score=r,
                )
            )
    session.add(
        SurveyAnswer.new(
            None,
            committee_id=committees["member-services"].id,
            category="billing",
            decided_month=date(2026, 2, 1),
            outcome_score=1,
            process_score=1,
            fairness_score=1,
            recommend_score=0,
        )
    )
    session.flush()
    s = kpis.dashboard(session, chair, MARCH, policies, TODAY).survey
    assert s is not None and s.total.answers == 13  # February's answer is outside the period
    assert s.total.outcome == 3.6  # 47 / 13
    assert s.total.nps == 23  # promoters 3 + 3 + 1, detractors 1 + 2 + 1: 100 * 3 / 13
    shown = {g.key: g.figures for g in s.by_category}
    assert (shown["benefits"].outcome, shown["benefits"].fairness) == (3.0, 3.7)
    assert (shown["benefits"].recommend, shown["benefits"].nps) == (6.5, 17)
    assert not shown["events"].shown and shown["events"].answers == 2
    assert not shown["billing"].shown and shown["billing"].outcome is None
    by_channel = kpis.Filters(MARCH.start, MARCH.end, channel="phone")
    assert kpis.dashboard(session, chair, by_channel, policies, TODAY).survey.filtered
