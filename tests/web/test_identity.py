"""Every page says whose portal it is and speaks to its reader; a warning names what it means."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import sqlalchemy as sa

from portal.config import ROOT
from portal.db import utcnow
from portal.domain.roles import Role
from portal.models.grievances import Grievance
from tests.conftest import Browser, csrf_token, form_tokens
from tests.factories import PASSWORD, make_user
from tests.web.conftest import FIELDS, REF_RE, file_grievance

KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9"}
MEMBER_FOOTER = "Only the committee that handles your case can read it."
STAFF_FOOTER = "Only the committee that handles it can read it, and every reading is recorded."


def test_every_page_names_the_association_and_how_to_reach_it(app, member_browser):
    visitor = app.test_client()
    for page in (visitor.get("/sign-in"), member_browser.get("/my/grievances")):
        html = page.get_data(as_text=True)
        header = html[html.index("<header") : html.index("</header>")]
        footer = html[html.index("<footer") : html.index("</footer>")]
        assert "Example Professional Association" in header
        assert "Example Professional Association" in footer
        assert 'href="mailto:grievances@association.example"' in footer
        assert 'href="tel:02079460000">020 7946 0000</a>' in footer
        assert "12 Example Row, London EC1A 1AA" in footer
        assert 'href="https://association.example">association.example</a>' in footer


def test_the_association_is_named_in_the_readers_language(client):
    html = client.get("/sign-in", headers=KOREAN).get_data(as_text=True)
    assert "예시전문직협회" in html and "Example Professional Association" not in html
    assert "이그잼플 로 12" in html


def test_the_footer_speaks_to_members_visitors_and_staff_rightly(member_browser, app):
    assert MEMBER_FOOTER in app.test_client().get("/sign-in").get_data(as_text=True)
    assert MEMBER_FOOTER in member_browser.get("/my/grievances").get_data(as_text=True)
    from portal.db import database

    with database(app).new_session() as session:
        make_user(session, Role.REVIEWER, email="desk@example.org")
        make_user(session, Role.ADMIN, email="boss@example.org")
        session.commit()
    for email, page in (
        ("desk@example.org", "/committee/record"),
        ("boss@example.org", "/admin/users"),
    ):
        staff = Browser(app.test_client())
        staff.sign_in(email, PASSWORD)
        html = staff.get(page).get_data(as_text=True)
        assert STAFF_FOOTER in html and "your case" not in html, email


def test_a_category_page_offers_to_file_about_it(app, member_browser):
    client = app.test_client()
    html = client.get("/policies/billing").get_data(as_text=True)
    assert re.search(
        r'<a class="button" href="/grievances/new\?category=billing">File a grievance'
        r" about this</a>",
        html,
    )
    signed_out = client.get("/grievances/new?category=billing")
    assert signed_out.status_code == 302 and "category%3Dbilling" in signed_out.headers["Location"]
    form = member_browser.get("/grievances/new?category=billing").get_data(as_text=True)
    assert re.search(r'value="billing"\s+checked', form)
    assert "checked" not in form.split('value="events"')[1].split(">")[0]


def test_staff_are_not_offered_the_members_form(app, session, committees):
    make_user(session, Role.REVIEWER, email="desk@example.org")
    session.commit()
    staff = Browser(app.test_client())
    staff.sign_in("desk@example.org", PASSWORD)
    assert "File a grievance about this" not in staff.get("/policies/billing").get_data(
        as_text=True
    )


def _review(browser: Browser, **changes: str) -> str:
    page = browser.get("/grievances/new").get_data(as_text=True)
    data = {**form_tokens(page), **FIELDS, "action": "review", **changes}
    # The review is a page of its own (Post/Redirect/Get).
    posted = browser.client.post("/grievances/new", data=data, follow_redirects=True)
    return posted.get_data(as_text=True)


def _filed(browser: Browser, **changes: str) -> str:
    response = file_grievance(browser, **changes)
    assert response.status_code == 303
    return REF_RE.search(response.headers["Location"]).group(0)


def test_the_duplicate_warning_names_a_recent_open_case_of_the_same_kind(member_browser):
    ref = _filed(member_browser, subject="Charged <twice> for dues")
    html = _review(member_browser, subject="Another charge")
    assert "you filed a grievance of this kind that is still open" in html
    assert f"{ref} “Charged &lt;twice&gt; for dues”</a>" in html
    assert f"Add this to {ref} instead?" in html
    form = member_browser.get("/grievances/new?category=billing").get_data(as_text=True)
    assert f"{ref} “Charged &lt;twice&gt; for dues”" in form


def test_no_duplicate_warning_for_another_kind_an_old_case_or_a_closed_one(member_browser, session):
    ref = _filed(member_browser)
    assert ref not in _review(member_browser, category="events")
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == ref))
    session.execute(
        sa.update(Grievance)
        .where(Grievance.id == case.id)
        .values(submitted_at=utcnow() - timedelta(days=31))
    )
    session.commit()
    assert ref not in _review(member_browser)
    session.execute(
        sa.update(Grievance).where(Grievance.id == case.id).values(submitted_at=utcnow())
    )
    session.commit()
    assert ref in _review(member_browser)
    withdraw = f"/grievances/{ref}/withdraw"
    member_browser.submit(withdraw, {"reason": "Sorted.", "confirm": "yes"})
    assert ref not in _review(member_browser)


def test_the_live_warning_names_the_case_too(member_browser):
    ref = _filed(member_browser)
    token = csrf_token(member_browser.get("/grievances/new").get_data(as_text=True))
    data = member_browser.client.post(
        "/grievances/triage",
        json={"subject": "x", "narrative": "y", "category": "billing"},
        headers={"X-CSRFToken": token},
    ).get_json()
    assert data["duplicate"] == ref and data["duplicate_title"] == FIELDS["subject"]
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4}", data["duplicate_date"])


def test_two_files_of_one_name_are_told_apart_by_size_and_time(member_browser):
    ref = _filed(member_browser)
    url = f"/grievances/{ref}"
    for body in (b"short\n", b"x" * 2048):
        page = member_browser.get(url).get_data(as_text=True)
        member_browser.client.post(
            f"{url}/evidence",
            data={"csrf_token": csrf_token(page), "evidence": [(io.BytesIO(body), "notes.txt")]},
            content_type="multipart/form-data",
        )
    html = member_browser.get(url).get_data(as_text=True)
    when = r"added \d{1,2} \w{3} \d{4}, \d{2}:\d{2}"
    assert re.search(rf"notes\.txt</a> \(6 bytes, {when}\)", html)
    assert re.search(rf"notes\.txt</a> \(2 KB, {when}\)", html)


# Dates reach a page only through the language layer's filters (web/filters.py).
# A moment printed bare ({{ case.submitted_at }}) or passed bare into a sentence
# (date=case.submitted_at), strftime, or isoformat.
RAW_DATE = re.compile(r"(?:\{\{|=)\s*[\w.]+_(?:at|on)\s*(?:\}\}|[,)])|strftime|\.isoformat\(\)")


def test_templates_print_dates_only_through_the_language_filters():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # A date a form sends back is data for the browser, not text for a reader.
            if 'type="hidden"' in line:
                continue
            if RAW_DATE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
