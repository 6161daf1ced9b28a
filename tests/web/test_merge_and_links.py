"""Duplicates merged into the same member's open case, and related cases linked for the committee."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.models.grievances import CaseLink
from portal.services.evidence import Upload
from tests.conftest import Browser, case_versions
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in

HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
REFUSED = "There is no open case of the same member with that reference that you can work on."


@pytest.fixture
def people(app, session, committees, member):  # type: ignore[no-untyped-def]
    services = committees["member-services"]
    reviewer = make_user(session, Role.REVIEWER, email="rev@example.org", name="Rita Reviewer")
    chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    seat(session, services, reviewer)
    seat(session, services, chair, Seat.CHAIR)
    other = make_user(session, Role.MEMBER, email="other@example.org", name="Otto Other")
    session.commit()
    return {"reviewer": reviewer, "chair": chair, "other": other}


def ask_to_merge(browser: Browser, reference: str, into: str):  # type: ignore[no-untyped-def]
    """Type the reference in the case page's merge form and send it (a GET)."""
    page = browser.get(f"/committee/cases/{reference}").get_data(as_text=True)
    query = {
        "merge-into": into,
        **{k: v for k, v in case_versions(page).items() if k.startswith("merge-")},
    }
    return browser.get(f"/committee/cases/{reference}/merge?{urlencode(query)}")


def merge(browser: Browser, reference: str, into: str):  # type: ignore[no-untyped-def]
    confirm = ask_to_merge(browser, reference, into)
    assert confirm.status_code == 200, confirm.get_data(as_text=True)
    carried = dict(HIDDEN_RE.findall(confirm.get_data(as_text=True)))
    return browser.client.post(
        f"/committee/cases/{reference}/merge",
        data={"csrf_token": carried.get("merge-csrf_token", ""), **carried},
    )


def test_a_chair_merges_a_duplicate_and_everyone_is_told(app, session, people, member):
    evidence = Upload("first-receipt.txt", io.BytesIO(b"the first receipt"))
    dup = make_case(app, session, member, subject="Charged twice (again)", files=[evidence])
    keep = make_case(app, session, member)
    session.commit()
    filer = signed_in(app, "filer@example.org")
    sent = filer.submit(
        f"/grievances/{dup.reference}/messages",
        {"body": "Here is the bank statement line."},
        form_url=f"/grievances/{dup.reference}",
    )
    assert sent.status_code == 303
    chair = signed_in(app, "chair@example.org")
    page = chair.get(f"/committee/cases/{dup.reference}").get_data(as_text=True)
    assert "Merge a duplicate" in page and "Reference of the case to keep" in page

    confirm = ask_to_merge(chair, dup.reference, keep.reference.lower())
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert f"Merge {dup.reference} into {keep.reference}?" in text
    assert "Charged twice (again)" in text and "Charged twice for dues" in text
    done = merge(chair, dup.reference, keep.reference)
    assert done.status_code == 303

    session.refresh(dup)
    session.refresh(keep)
    assert dup.merged_into_id == keep.id and dup.status == "closed" and not dup.is_open
    assert dup.closed_at is not None
    assert keep.is_open and keep.merged_into_id is None
    entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "case.merged")).all()
    assert [e.object_id for e in entries] == [str(dup.id)]

    # The committee: the duplicate points to the survivor; the survivor shows both histories.
    merged_page = chair.get(f"/committee/cases/{dup.reference}").get_data(as_text=True)
    assert "This case was merged into" in merged_page and keep.reference in merged_page
    assert "Merge a duplicate" not in merged_page
    survivor = chair.get(f"/committee/cases/{keep.reference}").get_data(as_text=True)
    assert "Here is the bank statement line." in survivor
    assert f"from {dup.reference}" in survivor
    assert "first-receipt" in survivor
    assert f"{dup.reference} was merged into this case" in survivor
    attachment = dup.attachments[0]
    download = chair.get(f"/committee/cases/{keep.reference}/evidence/{attachment.id}")
    assert download.status_code == 200 and download.data == b"the first receipt"
    # Not in the queue any more: one open case left.
    assert dup.reference not in chair.get("/committee/queue").get_data(as_text=True)

    # The member: told on both timelines; the duplicate's page leads to the survivor.
    mine = filer.get(f"/grievances/{dup.reference}").get_data(as_text=True)
    assert "This grievance was merged into" in mine
    assert f'href="/grievances/{keep.reference}"' in mine
    assert f"Merged into {keep.reference}, which is about the same matter" in mine
    kept = filer.get(f"/grievances/{keep.reference}").get_data(as_text=True)
    assert f"{dup.reference}, about the same matter, was merged into this grievance" in kept
    assert "Here is the bank statement line." in kept and "first-receipt" in kept
    assert filer.get(f"/grievances/{dup.reference}/evidence/{attachment.id}").status_code == 200


def test_refusals_never_say_whose_case_a_reference_is(app, session, people, member):
    dup = make_case(app, session, member)
    someone_elses = make_case(app, session, people["other"])
    closed = make_case(app, session, member)
    closed.status, closed.is_open = "closed", False
    session.commit()
    chair = signed_in(app, "chair@example.org")
    answers = {}
    for into in (someone_elses.reference, closed.reference, "GRV-2099-999999"):
        refused = ask_to_merge(chair, dup.reference, into)
        assert refused.status_code == 400
        text = refused.get_data(as_text=True)
        assert REFUSED in text
        answers[into] = text.count(REFUSED)
    assert len(set(answers.values())) == 1
    itself = ask_to_merge(chair, dup.reference, dup.reference)
    assert "cannot be merged into itself" in itself.get_data(as_text=True)
    # Posting straight to the merge changes nothing either.
    page = chair.get(f"/committee/cases/{dup.reference}").get_data(as_text=True)
    posted = chair.client.post(
        f"/committee/cases/{dup.reference}/merge",
        data={
            "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
            "confirm": "yes",
            "merge-into": someone_elses.reference,
            **case_versions(page),
        },
    )
    assert posted.status_code == 400 and REFUSED in posted.get_data(as_text=True)
    session.refresh(dup)
    assert dup.is_open and dup.merged_into_id is None


def test_only_a_chair_or_the_assignee_merges(app, session, people, member):
    dup = make_case(app, session, member)
    keep = make_case(app, session, member)
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    assert "Merge a duplicate" not in reviewer.get(f"/committee/cases/{dup.reference}").get_data(
        as_text=True
    )
    refused = ask_to_merge(reviewer, dup.reference, keep.reference)
    assert refused.status_code == 400
    assert "Only a chair of the committee or the reviewer handling this case" in refused.get_data(
        as_text=True
    )
    dup.assignee_id = people["reviewer"].id
    session.commit()
    assert merge(reviewer, dup.reference, keep.reference).status_code == 303


def test_people_named_in_the_duplicate_are_kept_out_of_the_survivor(app, session, people, member):
    dup = make_case(app, session, member, party_emails=["rev@example.org"])
    keep = make_case(app, session, member)
    session.commit()
    reviewer = signed_in(app, "rev@example.org")
    assert reviewer.get(f"/committee/cases/{keep.reference}").status_code == 200
    assert (
        merge(signed_in(app, "chair@example.org"), dup.reference, keep.reference).status_code == 303
    )
    assert reviewer.get(f"/committee/cases/{keep.reference}").status_code == 404


def test_linking_related_cases_for_the_committee_only(app, session, people, member, committees):
    one = make_case(app, session, member)
    two = make_case(app, session, people["other"], subject="Dues charged to the wrong card")
    ethics = make_case(app, session, member, category="ethics", subject="Rude remarks at the AGM")
    # The chair also sits on the ethics committee; the reviewer does not.
    seat(session, committees["ethics"], people["chair"])
    session.commit()
    assert ethics.committee_id == committees["ethics"].id
    url = f"/committee/cases/{one.reference}"
    reviewer = signed_in(app, "rev@example.org")
    linked = reviewer.submit(f"{url}/links", {"link-reference": two.reference}, form_url=url)
    assert linked.status_code == 303
    assert "Dues charged to the wrong card" in reviewer.get(url).get_data(as_text=True)
    back = reviewer.get(f"/committee/cases/{two.reference}").get_data(as_text=True)
    assert one.reference in back and "Charged twice for dues" in back
    again = reviewer.submit(f"{url}/links", {"link-reference": two.reference}, form_url=url)
    assert again.status_code == 400 and "already linked" in again.get_data(as_text=True)
    # A case the reviewer cannot open is refused like one that does not exist.
    hidden = reviewer.submit(f"{url}/links", {"link-reference": ethics.reference}, form_url=url)
    assert hidden.status_code == 400
    assert "We could not find a case with that reference that you can open." in hidden.get_data(
        as_text=True
    )
    # The chair links it; the reviewer still sees no trace of it.
    chair = signed_in(app, "chair@example.org")
    assert (
        chair.submit(f"{url}/links", {"link-reference": ethics.reference}, form_url=url).status_code
        == 303
    )
    assert "Rude remarks at the AGM" in chair.get(url).get_data(as_text=True)
    page = reviewer.get(url).get_data(as_text=True)
    assert ethics.reference not in page and "Rude remarks" not in page
    # The member never sees links.
    filer = signed_in(app, "filer@example.org")
    mine = filer.get(f"/grievances/{one.reference}").get_data(as_text=True)
    assert (
        two.reference not in mine and ethics.reference not in mine and "Related cases" not in mine
    )
    # Unlinking removes both directions.
    removed = reviewer.submit(
        f"{url}/links/remove", {"unlink-reference": two.reference}, form_url=url
    )
    assert removed.status_code == 303
    after = reviewer.get(url).get_data(as_text=True)
    assert f"{two.reference} is no longer linked to this case." in after
    assert "Dues charged to the wrong card" not in after
    assert (
        one.reference
        not in reviewer.get(f"/committee/cases/{two.reference}")
        .get_data(as_text=True)
        .split("Related cases")[1]
    )
    rows = session.scalars(sa.select(CaseLink)).all()
    assert {(r.grievance_id, r.linked_id) for r in rows} == {
        (one.id, ethics.id),
        (ethics.id, one.id),
    }
    actions = session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action.in_(["case.linked", "case.unlinked"]))
    ).all()
    assert sorted(actions) == ["case.linked", "case.linked", "case.unlinked"]
