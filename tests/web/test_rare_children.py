"""A case page asks for files, moved dates and links only when the case has some (issue 13,
item 4).

Most cases have none, so the case's own query says whether it has any; the rows are read
only then. The pages still show them when there are some, however the case was loaded.
"""

from __future__ import annotations

import io

import pytest

from portal.domain.roles import Role
from portal.models.committees import Seat
from portal.services import casefile, linking
from portal.services.evidence import Upload
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in
from tests.web.statements import statements_for

RARE = ("attachments", "case_extensions", "case_links")


def _asked(statements: list[str]) -> set[str]:
    """The rare tables a page read rows from (not those it asked about in an EXISTS)."""
    return {t for t in RARE for s in statements if s.lstrip().startswith(f"SELECT {t}.")}


@pytest.fixture
def chair(session, committees):  # type: ignore[no-untyped-def]
    person = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    seat(session, committees["member-services"], person, Seat.CHAIR)
    session.commit()
    return person


def test_a_case_without_files_or_moved_dates_reads_neither(
    app, session, member, chair, member_browser
):
    case = make_case(app, session, member)
    session.commit()
    mine = statements_for(app, member_browser, f"/grievances/{case.reference}")
    theirs = statements_for(
        app, signed_in(app, "chair@example.org"), f"/committee/cases/{case.reference}"
    )
    assert _asked(mine) == set() and _asked(theirs) == set()


def test_a_case_linked_after_it_was_loaded_lists_the_link(app, session, member, chair):
    one, two = make_case(app, session, member), make_case(app, session, member, subject="Again")
    session.commit()
    case, _standing = casefile.committee_case(session, chair, one.reference)
    assert linking.linked(session, chair, case) == []  # loaded saying it has no links
    linking.link(session, chair, case, two.reference)
    assert linking.linked(session, chair, case) == [two]
    session.commit()
    page = signed_in(app, "chair@example.org").get(f"/committee/cases/{one.reference}")
    assert two.reference in page.get_data(as_text=True)


def test_a_case_with_a_file_and_a_moved_date_shows_both_on_both_pages(
    app, session, member, chair, member_browser
):
    files = [Upload("bank-statement.txt", io.BytesIO(b"Dues charged twice"))]
    case = make_case(app, session, member, files=files)
    session.commit()
    chair_browser = signed_in(app, "chair@example.org")
    url = f"/committee/cases/{case.reference}"
    moved = chair_browser.submit(
        f"{url}/extend",
        {"extend-days": "3", "extend-reason": "The bank has not answered yet."},
        form_url=url,
    )
    assert moved.status_code == 303
    for browser, page in ((member_browser, f"/grievances/{case.reference}"), (chair_browser, url)):
        html = browser.get(page).get_data(as_text=True)
        assert "bank-statement.txt" in html
        assert "Reason: “The bank has not answered yet.”" in html
        assert _asked(statements_for(app, browser, page)) == {"attachments", "case_extensions"}
