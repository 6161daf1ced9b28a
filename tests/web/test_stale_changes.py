"""Two people working on one case: the second to save gets 409 with what changed, and loses nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.models.grievances import CaseEvent, CaseLink
from tests.conftest import Browser, case_versions, csrf_token
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in

STALE = "Someone else changed this case while you were working on it"


@pytest.fixture
def people(app, session, committees, member):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    seat(
        session,
        services,
        make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer"),
    )
    seat(
        session,
        services,
        make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair"),
        Seat.CHAIR,
    )
    session.commit()


def opened(browser: Browser, url: str) -> dict[str, str]:
    """What a form of the page sends besides what is typed: CSRF token and the version seen."""
    html = browser.get(url).get_data(as_text=True)
    return {"csrf_token": csrf_token(html), **case_versions(html)}


def test_the_second_to_save_sees_what_changed_and_nothing_is_overwritten(
    app, session, people, member
):
    case = make_case(app, session, member)
    another = make_case(app, session, member, subject="Locker key not returned")
    session.commit()
    url = f"/committee/cases/{case.reference}"
    reviewer, chair = signed_in(app, "rev@example.org"), signed_in(app, "chair@example.org")
    chair_page = opened(chair, url)  # the chair opens the case, then takes a while
    done = reviewer.submit(f"{url}/status", {"move-target": "under_review"}, form_url=url)
    assert done.status_code == 303

    # The chair's link, typed on the page as it was, is refused and kept.
    refused = chair.client.post(
        f"{url}/links", data={**chair_page, "link-reference": another.reference}
    )
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert STALE in text
    assert "“Received, waiting for the committee” became “Being reviewed”" in text
    assert "Rita Reviewer" in text
    assert (
        "It was “Received, waiting for the committee” when you opened it; it is “Being reviewed” now."
        in text
    )
    assert "Your change was not saved; here is the case as it is now." in text
    assert re.search(rf'name="link-reference"[^>]*value="{another.reference}"', text)
    assert session.scalar(sa.select(sa.func.count()).select_from(CaseLink)) == 0

    # A move made on the old page is refused too: the case is moved once, by the reviewer.
    stale_move = chair.client.post(
        f"{url}/status", data={**chair_page, "move-target": "under_review"}
    )
    assert stale_move.status_code == 409
    moves = session.scalars(
        sa.select(CaseEvent).where(
            CaseEvent.grievance_id == case.id, CaseEvent.to_status == "under_review"
        )
    ).all()
    assert len(moves) == 1 and moves[0].actor.full_name == "Rita Reviewer"

    # Sent again from the page of the 409, it carries the new version and goes through.
    again = chair.submit(f"{url}/links", {"link-reference": another.reference}, form_url=url)
    assert again.status_code == 303
    assert session.scalar(sa.select(sa.func.count()).select_from(CaseLink)) == 2


def test_a_form_without_its_version_changes_nothing(app, session, people, member):
    case = make_case(app, session, member)
    session.commit()
    url = f"/committee/cases/{case.reference}"
    reviewer = signed_in(app, "rev@example.org")
    page = reviewer.get(url).get_data(as_text=True)
    posted = reviewer.client.post(
        f"{url}/status", data={"csrf_token": csrf_token(page), "move-target": "under_review"}
    )
    assert posted.status_code == 409 and STALE in posted.get_data(as_text=True)
    session.refresh(case)
    assert case.status == "acknowledged"
