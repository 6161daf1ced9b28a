"""The grievance panel on the case page: who sits, voting, the decision, and what the
member reads of it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.grievances import Decision, PanelSeat, PanelVote
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in

ANA_REASONS = "The office followed the published refund rules."
BO_REASONS = "The second charge was a mistake by the office."
CY_REASONS = "Refund the second charge with an apology."


@pytest.fixture
def panel_case(app, session, committees, member):  # type: ignore[no-untyped-def]
    """Fiona's appealed case at level 3 with Ana, Bo and Cy on its panel, a reviewer of
    its committee, an administrator and an auditor."""
    case = make_case(app, session, member)
    case.status, case.escalation_level = "appealed", 3
    panel = {}
    for key, name in (("ana", "Ana Board"), ("bo", "Bo Board"), ("cy", "Cy Board")):
        panel[key] = make_user(
            session, Role.MEMBER, Role.PANEL, email=f"{key}@example.org", name=name
        )
        session.add(PanelSeat(grievance_id=case.id, level=3, user_id=panel[key].id))
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
    seat(session, committees["member-services"], reviewer, Seat.REVIEWER)
    make_user(session, Role.ADMIN, email="admin@example.org")
    make_user(session, Role.AUDITOR, email="auditor@example.org")
    session.commit()
    return case, panel


def _vote(browser, case, outcome, reasons, **kw):  # type: ignore[no-untyped-def]
    url = f"/committee/cases/{case.reference}"
    return browser.submit(
        f"{url}/panel/vote",
        {"panel-outcome": outcome, "panel-opinion": reasons},
        form_url=url,
        **kw,
    )


def _panel_section(html: str) -> str:
    start = html.index('id="panel"')
    return html[start : html.index("</section>", start)]


def test_the_panel_votes_and_its_quorum_decides(app, session, panel_case):
    case, panel = panel_case
    ana = signed_in(app, "ana@example.org")
    page = ana.get(f"/committee/cases/{case.reference}").get_data(as_text=True)
    section = _panel_section(page)
    for name in ("Ana Board", "Bo Board", "Cy Board"):
        assert name in section
    assert section.count("has not voted yet") == 3
    assert "2 matching votes decide the case." in section
    assert '<option value="partly-upheld">Partly upheld</option>' in section
    assert "Your reasons" in section and "Cast my vote" in section

    voted = _vote(ana, case, "not-upheld", ANA_REASONS)
    assert voted.status_code == 303 and voted.headers["Location"].endswith("#panel")
    page = ana.get(voted.headers["Location"]).get_data(as_text=True)
    assert "Your vote is recorded. You can change it until the panel decides." in page
    section = _panel_section(page)
    assert "You voted “Not upheld”" in section and "Change my vote" in section
    assert ANA_REASONS in section  # one's own reasons, to change them

    bo = signed_in(app, "bo@example.org")
    section = _panel_section(bo.get(f"/committee/cases/{case.reference}").get_data(as_text=True))
    assert "Bo Board (you) — has not voted yet" in section and "Ana Board — has voted" in section
    assert ANA_REASONS not in section  # who has voted, not how
    _vote(bo, case, "upheld", BO_REASONS)
    cy = signed_in(app, "cy@example.org")
    done = _vote(cy, case, "upheld", CY_REASONS, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Your vote completed the quorum: the panel has decided “Upheld”." in html

    reviewer = signed_in(app, "rev@example.org")
    section = _panel_section(
        reviewer.get(f"/committee/cases/{case.reference}").get_data(as_text=True)
    )
    assert "decided by 2 of 3 panel members" in section and "1 member dissented" in section
    assert ANA_REASONS in section and BO_REASONS in section and CY_REASONS in section
    assert section.count("dissent</span>") == 1
    assert "Cast my vote" not in section
    session.expire_all()
    decision = session.scalar(sa.select(Decision))
    assert decision.by_panel and decision.decided_by_id == panel["cy"].id
    assert session.get(type(case), case.id).status == "resolved"


def test_a_refused_vote_shows_why_and_keeps_what_was_typed(app, session, panel_case):
    case, _panel = panel_case
    ana = signed_in(app, "ana@example.org")
    response = _vote(ana, case, "", "My reasons, kept.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'class="error-summary"' in html and "Choose one of the outcomes listed." in html
    assert "My reasons, kept." in html
    response = _vote(ana, case, "guilty", "")
    assert response.status_code == 400
    assert "Give the reasons for your vote." in response.get_data(as_text=True)
    assert session.scalars(sa.select(PanelVote)).all() == []


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("rev@example.org", 403),  # opens the case, may not vote
        ("admin@example.org", 404),
        ("auditor@example.org", 404),
        ("filer@example.org", 404),
    ],
)
def test_nobody_but_the_seated_panel_votes(app, session, panel_case, email, status):
    case, _panel = panel_case
    browser = signed_in(app, email)
    assert _vote(browser, case, "upheld", "x").status_code == status
    assert session.scalars(sa.select(PanelVote)).all() == []


def test_the_reviewer_sees_who_sits_but_has_no_vote_form(app, session, panel_case):
    case, _panel = panel_case
    reviewer = signed_in(app, "rev@example.org")
    section = _panel_section(
        reviewer.get(f"/committee/cases/{case.reference}").get_data(as_text=True)
    )
    assert "Ana Board" in section and "Cast my vote" not in section


def test_no_panel_section_on_a_case_without_a_panel(app, session, committees, member):
    case = make_case(app, session, member)
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org")
    seat(session, committees["member-services"], reviewer, Seat.REVIEWER)
    session.commit()
    html = signed_in(app, "rev@example.org").get(f"/committee/cases/{case.reference}")
    assert 'id="panel"' not in html.get_data(as_text=True)


def test_the_member_reads_the_panels_decision_without_names(app, session, panel_case):
    case, _panel = panel_case
    _vote(signed_in(app, "ana@example.org"), case, "not-upheld", ANA_REASONS)
    _vote(signed_in(app, "bo@example.org"), case, "upheld", BO_REASONS)
    _vote(signed_in(app, "cy@example.org"), case, "upheld", CY_REASONS)
    page = signed_in(app, "filer@example.org").get(f"/grievances/{case.reference}")
    html = page.get_data(as_text=True)
    start = html.index('id="decision"')
    section = html[start : html.index("</section>", start)]
    assert "Upheld" in section
    assert "decided by 2 of 3 panel members." in section and "1 member dissented." in section
    assert BO_REASONS in section and CY_REASONS in section
    assert ANA_REASONS not in html  # the dissent's reasons stay with the panel
    for name in ("Ana Board", "Bo Board", "Cy Board"):
        assert name not in html
    assert "The grievance panel's decision" in section
    assert "This decision is final" in section
    # The timeline names the panel as the one who decided, not the committee.
    start = html.index('id="timeline-heading"')
    timeline = html[start : html.index("</section>", start)]
    assert "The grievance panel decided: Upheld" in timeline
    assert "The committee decided" not in timeline
    reviewer = signed_in(app, "rev@example.org").get(f"/committee/cases/{case.reference}")
    assert "The grievance panel decided: Upheld" in reviewer.get_data(as_text=True)


def test_the_member_page_shows_no_decision_before_one(app, session, panel_case):
    case, _panel = panel_case
    html = signed_in(app, "filer@example.org").get(f"/grievances/{case.reference}")
    assert 'id="decision"' not in html.get_data(as_text=True)
