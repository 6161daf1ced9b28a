"""The member's side of the ladder: the level in plain words, asking for escalation after a
missed date, appealing within the window, and reading why a date was moved, in English and
Korean."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.db import utcnow
from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.grievances import Decision, Grievance
from portal.services import extensions, sweep
from tests.conftest import Browser
from tests.factories import PASSWORD, make_user, seat
from tests.web.conftest import REF_RE, file_grievance

KO = {"Accept-Language": "ko"}


def _filed(browser, session) -> Grievance:  # type: ignore[no-untyped-def]
    response = file_grievance(browser)
    assert response.status_code == 303
    ref = REF_RE.search(response.headers["Location"]).group(0)
    return session.scalar(sa.select(Grievance).where(Grievance.reference == ref))


def _page(browser, case, **kw) -> str:  # type: ignore[no-untyped-def]
    return browser.get(f"/grievances/{case.reference}", **kw).get_data(as_text=True)


def _decided(session, case, window=timedelta(days=20)):  # type: ignore[no-untyped-def]
    """As the decision service leaves a case: resolved, appealable until `now + window`."""
    reviewer = make_user(session, Role.REVIEWER, name="Rui Reviewer")
    now = utcnow()
    decision = Decision(grievance=case, level=case.escalation_level, decided_by_id=reviewer.id)
    decision.outcome, decision.rationale = "not-upheld", "The second charge was a refund."
    session.add(decision)
    case.first_response_at = case.first_response_at or now - timedelta(days=2)
    case.status, case.is_open, case.resolved_at = "resolved", False, now
    case.appeal_due_at = now + window
    session.commit()


def test_the_page_says_which_level_and_who_acts_there(member_browser, session):
    case = _filed(member_browser, session)
    html = _page(member_browser, case)
    assert "Level 1: Review by a committee reviewer, handled by: Reviewer" in html
    assert "A reviewer from the committee for your category reads your grievance" in html
    ko = _page(member_browser, case, headers=KO)
    assert "위원회 심사위원의 검토" in ko and "고충 유형을 담당하는 위원회의 심사위원이" in ko


def test_no_escalation_before_a_date_has_passed(member_browser, session):
    case = _filed(member_browser, session)
    assert "Ask for escalation" not in _page(member_browser, case)
    url = f"/grievances/{case.reference}/escalate"
    refused = member_browser.submit(url, {"confirm": "yes"})
    assert refused.status_code == 400
    assert "once a date we promised you has passed" in refused.get_data(as_text=True)
    session.refresh(case)
    assert case.escalation_level == 1 and case.escalation_requested_at is None


def test_after_a_missed_date_the_member_asks_once(member_browser, session):
    case = _filed(member_browser, session)
    case.first_response_due_at = utcnow() - timedelta(hours=1)
    session.commit()
    html = _page(member_browser, case)
    assert 'href="#escalate"' in html and "You can ask for this only once." in html
    assert "go to level 2: The committee chair takes over. Who acts there: Committee chair." in html
    url = f"/grievances/{case.reference}/escalate"
    confirm = member_browser.get(url).get_data(as_text=True)
    assert "Ask for escalation of " in confirm and 'name="confirm" value="yes"' in confirm
    unconfirmed = member_browser.submit(url, {})
    assert unconfirmed.status_code == 303 and unconfirmed.headers["Location"].endswith(url)

    done = member_browser.submit(url, {"confirm": "yes"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Your grievance is now at level 2: The committee chair takes over." in html
    assert "Level 2: The committee chair takes over, handled by: Committee chair" in html
    assert "at your request, after a promised date passed" in html
    assert 'href="/grievances/' + case.reference + '/escalate"' not in html  # once only
    again = member_browser.submit(url, {"confirm": "yes"})
    assert again.status_code == 400
    assert "You have already asked" in again.get_data(as_text=True)
    session.refresh(case)
    assert case.escalation_level == 2 and case.escalation_requested_at is not None


def test_the_sweep_tells_the_member_why_the_case_moved(app, member_browser, session):
    case = _filed(member_browser, session)
    case.first_response_due_at = utcnow() - timedelta(minutes=5)
    session.commit()
    summary = sweep.sweep(session, app.extensions["portal.policies"], utcnow())
    session.commit()
    assert summary.escalated[2] == 1
    html = _page(member_browser, case)
    assert (
        "Moved to level 2 (The committee chair takes over): "
        "we did not reply by the date we promised" in html
    )
    ko = _page(member_browser, case, headers=KO)
    assert "2단계(위원장이 직접 맡습니다)" in ko


def test_an_appeal_within_the_window(member_browser, session):
    for n in range(3):
        make_user(session, Role.PANEL, name=f"Board member {n}")
    case = _filed(member_browser, session)
    _decided(session, case)
    html = _page(member_browser, case)
    assert "Appeal this decision" in html and "you can appeal until " in html
    assert "Your appeal goes to the next level: The board&#39;s grievance panel decides." in html
    ko = _page(member_browser, case, headers=KO)
    assert "결정에 이의 신청하기" in ko

    url = f"/grievances/{case.reference}/appeal"
    form = member_browser.get(url).get_data(as_text=True)
    assert "Your appeal goes to level 3: The board&#39;s grievance panel decides." in form
    assert (
        "Why do you disagree with the decision?" in form
        and "You can appeal a decision only once." in form
    )
    empty = member_browser.submit(url, {"confirm": "yes", "reason": " "})
    assert empty.status_code == 400
    assert "Tell us why you disagree with the decision." in empty.get_data(as_text=True)

    done = member_browser.submit(
        url, {"confirm": "yes", "reason": "It was not a refund."}, follow_redirects=True
    )
    html = done.get_data(as_text=True)
    assert "Your appeal is received. It goes to level 3" in html
    assert "Appealed: “It was not a refund.”" in html
    assert (
        "Your appeal moved the grievance to level 3 (The board&#39;s grievance panel decides)"
        in html
    )
    assert "Appeal this decision</a>" not in html
    session.refresh(case)
    assert case.status == "appealed" and case.escalation_level == 3


def test_no_appeal_after_the_window(member_browser, session):
    case = _filed(member_browser, session)
    _decided(session, case, window=timedelta(minutes=-1))
    assert "Appeal this decision" not in _page(member_browser, case)
    refused = member_browser.submit(
        f"/grievances/{case.reference}/appeal", {"confirm": "yes", "reason": "Late."}
    )
    assert refused.status_code == 400
    assert "The time to appeal this decision has passed." in refused.get_data(as_text=True)


def test_the_member_reads_why_the_decision_date_moved(app, member_browser, session):
    case = _filed(member_browser, session)
    chair = make_user(session, Role.CHAIR, name="Chris Chair")
    seat(session, case.committee, chair, Seat.CHAIR)
    extensions.extend(
        session,
        chair,
        case,
        "We are waiting for the bank's statement.",
        app.extensions["portal.policies"],
        days=5,
    )
    session.commit()
    html = _page(member_browser, case)
    assert "(moved once; see why below)" in html and "Decision date moved" in html
    assert "Reason: “We are waiting for the bank&#39;s statement.”" in html
    assert "The decision date was moved. Reason:" in html  # on the timeline too
    ko = _page(member_browser, case, headers=KO)
    assert "결정 기한 변경" in ko and "We are waiting for the bank&#39;s statement." in ko


def test_another_member_cannot_escalate_or_appeal(app, member_browser, session):
    case = _filed(member_browser, session)
    case.first_response_due_at = utcnow() - timedelta(hours=1)
    session.commit()
    make_user(session, Role.MEMBER, email="nosy@example.org")
    session.commit()
    nosy = Browser(app.test_client())
    nosy.sign_in("nosy@example.org", PASSWORD)
    for path in ("escalate", "appeal"):
        url = f"/grievances/{case.reference}/{path}"
        assert nosy.get(url).status_code == 404
        posted = nosy.submit(url, {"confirm": "yes", "reason": "x"}, form_url="/account")
        assert posted.status_code == 404
    session.refresh(case)
    assert case.escalation_level == 1
