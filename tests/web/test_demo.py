"""`flask demo seed`: the demo association a new user signs in to."""

from __future__ import annotations

import re

import sqlalchemy as sa

from portal.models.committees import Committee
from portal.models.grievances import Grievance
from portal.models.users import User
from tests.conftest import Browser


def test_demo_seed_creates_the_association_once_and_prints_every_sign_in(
    app, runner, session, mail_files
):
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "Seeded the demo association: 25 accounts, 20 grievances." in first.output
    lines = [line for line in first.output.splitlines() if "@demo.example" in line]
    assert len(lines) == 25
    roles = [line.split()[0] for line in lines]
    assert roles.count("administrator") == 1 and roles.count("auditor") == 1
    assert (
        roles.count("chair") == 3 and roles.count("reviewer") == 5 and roles.count("member") == 12
    )
    assert roles.count("panel") == 3
    names = set(session.scalars(sa.select(Committee.name)))
    assert names == {"Ethics & Professional Conduct", "Member Services", "Governance & Elections"}

    again = runner.invoke(args=["demo", "seed"])
    assert "nothing was seeded" in again.output and again.output.count("@demo.example") == 25
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 25
    assert session.scalar(sa.select(sa.func.count()).select_from(Grievance)) == 20

    # A printed sign-in works, and the member sees their demo grievances.
    _role, email, password = next(line.split() for line in lines if line.split()[0] == "member")
    browser = Browser(app.test_client())
    assert browser.sign_in(email, password).status_code == 303
    html = browser.get("/my/grievances").get_data(as_text=True)
    assert "Charged twice for this year" in html and "bank-statement.txt" not in html
    assert re.search(r'Notifications <span class="badge">\d+', html)

    # The demo leaves its mail in the outbox; `make run` sends it once (to files, no server).
    sent = runner.invoke(args=["outbox", "send"])
    summary = re.match(r"outbox: (\d+) sent, 0 failed, 0 waiting", sent.output)
    assert summary and int(summary.group(1)) > 20, sent.output
    assert "20 case_acknowledged" in sent.output and "decision_made" in sent.output
    # The insurance decision's survey went out; the demo's members need not confirm anything.
    assert "1 survey_invitation" in sent.output and "improvement_published" in sent.output
    assert "address_confirm" not in sent.output
    assert all(u.email_confirmed for u in session.scalars(sa.select(User)))


def test_the_demo_chair_sees_survey_figures_a_follow_up_and_a_published_note(app, runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    chair = Browser(app.test_client())
    assert (
        chair.sign_in("chair.member-services@demo.example", "chair-demo-portal").status_code == 303
    )
    html = chair.get("/committee/survey-results").get_data(as_text=True)
    assert "5 answers" in html and "NPS" in html and "Figures appear from" not in html
    assert "No follow-ups waiting." not in html  # the low score of the history
    page = Browser(app.test_client()).get("/you-said-we-did").get_data(as_text=True)
    assert "Dues reminders now say what is owed and why" in page


def test_the_demo_seeds_on_the_seoul_example_set(app, session):
    """`PORTAL_POLICIES_DIR=policies/examples/seoul make run` seeds the same demo, in Korean."""
    from portal.config import ROOT
    from portal.policies import load_policies
    from portal.services import demo

    seoul = load_policies(ROOT / "policies" / "examples" / "seoul")
    demo.seed(session, seoul)
    ext = app.extensions
    filed = demo.seed_cases(session, seoul, ext["portal.store"], ext["portal.upload_rules"])
    session.flush()

    assert filed == 20
    names = set(session.scalars(sa.select(Committee.name)))
    assert names == {"윤리위원회", "회원서비스위원회", "운영·선거위원회"}
    cases = session.scalars(sa.select(Grievance)).all()
    assert {c.policy_version for c in cases} == {seoul.version}
    billing = next(c for c in cases if c.category == "billing" and c.status == "awaiting_member")
    assert "회원서비스위원회에서 맡습니다" in billing.acknowledgement  # the default language
    # Its dates are written the Korean way too, in Seoul time.
    assert re.search(
        r"\d{4}년 \d{1,2}월 \d{1,2}일 \([월화수목금토일]\) 오[전후] \d{1,2}:\d\d\(서울 시간\)",
        billing.acknowledgement,
    )


def test_the_demo_shows_the_whole_process(app, runner, session):
    """Every status a case can rest in, every level, every deadline state, and the special
    cases a newcomer should meet, after `flask demo seed` and one `flask sla sweep`."""
    from portal.db import utcnow
    from portal.services import queue

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    swept = runner.invoke(args=["sla", "sweep"])
    assert swept.exit_code == 0 and swept.output.startswith("sla sweep: ")
    again = runner.invoke(args=["sla", "sweep"])
    assert "0 marked due soon, 0 breached, 0 escalated" in again.output
    session.expire_all()
    cases = session.scalars(sa.select(Grievance)).all()
    statuses = {c.status for c in cases}
    assert {
        "acknowledged",
        "under_review",
        "investigating",
        "awaiting_member",
        "resolved",
        "closed",
        "withdrawn",
        "appealed",
        "reopened",
    } <= statuses
    assert {c.escalation_level for c in cases} == {1, 2, 3}
    now = utcnow()
    assert any(c.status == "resolved" and c.appeal_due_at and c.appeal_due_at > now for c in cases)
    assert any(c.identity_hidden for c in cases)
    assert any(c.extension_count for c in cases)
    assert any(c.merged_into_id for c in cases)
    from portal.models.grievances import CaseLink

    assert session.scalar(sa.select(sa.func.count()).select_from(CaseLink)) == 2

    chair = session.scalar(sa.select(User).where(User.email_key == "chair.ethics@demo.example"))
    counts = queue.queue(session, chair, queue.Filters()).counts
    assert counts["overdue"] + counts["on_track"] > 0
    everyone = {}
    for email in (
        "chair.ethics@demo.example",
        "chair.member-services@demo.example",
        "chair.governance@demo.example",
    ):
        person = session.scalar(sa.select(User).where(User.email_key == email))
        for state, n in queue.queue(session, person, queue.Filters()).counts.items():
            everyone[state] = everyone.get(state, 0) + n
    assert all(everyone[s] > 0 for s in ("overdue", "due_soon", "paused", "on_track")), everyone

    # Tom Walsh is named as a party on one ethics case: it is not in his queue, Aisha has it.
    named = next(c for c in cases if c.subject.startswith("A reviewer's firm"))
    tom = session.scalar(sa.select(User).where(User.email_key == "reviewer1@demo.example"))
    refs = [r.case.reference for r in queue.queue(session, tom, queue.Filters()).rows]
    assert named.reference not in refs
    browser = Browser(app.test_client())
    assert browser.sign_in("reviewer1@demo.example", "reviewer-demo-portal").status_code == 303
    assert browser.get(f"/committee/cases/{named.reference}").status_code == 404


def test_every_demo_case_opens_for_its_chair_and_its_member(app, runner, session):
    from portal.models.committees import CommitteeMembership
    from portal.services.cases import member_of
    from portal.services.demo import demo_accounts

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["sla", "sweep"]).exit_code == 0
    session.expire_all()
    passwords = {a.email: a.password for a in demo_accounts()}
    failures = []
    for case in session.scalars(sa.select(Grievance)):
        chair = session.scalar(
            sa.select(User)
            .join(CommitteeMembership, CommitteeMembership.user_id == User.id)
            .where(
                CommitteeMembership.committee_id == case.committee_id,
                CommitteeMembership.seat == "chair",
            )
        )
        member = member_of(session, case)
        for person, url in (
            (chair, f"/committee/cases/{case.reference}"),
            (member, f"/grievances/{case.reference}"),
        ):
            browser = Browser(app.test_client())
            browser.sign_in(person.email_key, passwords[person.email_key])
            if (status := browser.get(url).status_code) != 200:
                failures.append(f"{person.email_key} {url}: {status}")
    for email in ("panel1@demo.example", "reviewer2@demo.example"):
        browser = Browser(app.test_client())
        browser.sign_in(email, passwords[email])
        if (status := browser.get("/committee/queue").status_code) != 200:
            failures.append(f"{email} queue: {status}")
    assert failures == []
