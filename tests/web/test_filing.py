"""Filing a grievance through the web form: acknowledgement, validation, idempotency."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa

from portal.models.audit import AuditEntry
from portal.models.drafts import FilingDraft
from portal.models.grievances import Attachment, CaseEvent, Grievance, PartyIndex
from portal.security import keys
from portal.security.blind_index import blind_index
from tests.conftest import Browser, csrf_token, form_tokens
from tests.factories import PASSWORD, make_user
from tests.web.conftest import PDF, REF_RE, file_grievance


def count(session, model):  # type: ignore[no-untyped-def]
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_member_files_and_gets_an_acknowledgement_with_promised_dates(member_browser, session, app):
    response = file_grievance(member_browser, files=[(io.BytesIO(PDF), "receipt.pdf")])
    assert response.status_code == 303
    ack = member_browser.get(response.headers["Location"])
    html = ack.get_data(as_text=True)
    reference = REF_RE.search(html).group(0)
    assert "We have received your grievance" in html
    assert "Member Services committee" in html
    assert "We will respond by" in html and "We aim to reach a decision by" in html
    assert "withdraw" in html and "add evidence" in html

    case = session.scalar(sa.select(Grievance).where(Grievance.reference == reference))
    assert case.status == "acknowledged" and case.channel == "web"
    assert case.committee.slug == "member-services" and case.priority == "normal"
    assert case.policy_version == app.extensions["portal.policies"].version
    assert case.first_response_due_at < case.resolution_due_at
    assert case.subject == "Charged twice for dues"
    assert reference in case.acknowledgement
    [attachment] = case.attachments
    assert attachment.filename == "receipt.pdf" and attachment.content_type == "application/pdf"
    kinds = [
        e.kind
        for e in session.scalars(sa.select(CaseEvent).where(CaseEvent.grievance_id == case.id))
    ]
    assert "filed" in kinds and "status" in kinds
    actions = session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_id == str(case.id))
    ).all()
    assert "case.filed" in actions and "case.viewed" in actions


def test_review_step_shows_a_summary_before_anything_is_stored(member_browser, session):
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    data = {
        **form_tokens(page),
        "action": "review",
        **{
            "category": "billing",
            "subject": "Late fee",
            "narrative": "Charged a late fee wrongly.",
        },
    }
    posted = member_browser.client.post("/grievances/new", data=data)
    # Post/Redirect/Get: the review is a page of its own, so Back and Reload resend nothing.
    assert posted.status_code == 303
    review_url = posted.headers["Location"]
    assert review_url.endswith("/grievances/new/" + data["submission_token"])
    for _ in range(2):  # a reload shows the same
        review = member_browser.get(review_url)
        html = review.get_data(as_text=True)
        assert review.status_code == 200
        assert "Check your grievance before you send it" in html and "Late fee" in html
        assert "Dues and billing" in html and "Send my grievance" in html
    assert 'name="narrative"' not in html  # the text stays on the server, not in the page
    assert count(session, Grievance) == 0
    # The draft is encrypted: its words are nowhere in the row.
    row = session.scalar(sa.select(FilingDraft))
    assert b"Late fee" not in bytes(row.body_ct) and b"late fee" not in bytes(row.body_ct)
    # "Change something" brings the form back with everything typed.
    edit = member_browser.get(f"/grievances/new?draft={data['submission_token']}")
    assert 'value="Late fee"' in edit.get_data(as_text=True)
    # After sending, Back to the review page shows the case, not the form again.
    shown = member_browser.get(review_url).get_data(as_text=True)
    sent = member_browser.client.post(
        review_url, data={"csrf_token": csrf_token(shown), "action": "submit"}
    )
    assert sent.status_code == 303 and "/acknowledgement" in sent.headers["Location"]
    back = member_browser.get(review_url)
    assert back.status_code == 303 and back.headers["Location"] == sent.headers["Location"]
    assert count(session, Grievance) == 1 and count(session, FilingDraft) == 0


def test_someone_elses_draft_is_not_found(app, member_browser, session):
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    data = {**form_tokens(page), "action": "review", "category": "billing"}
    data.update(subject="Mine", narrative="Private words.")
    review_url = member_browser.client.post("/grievances/new", data=data).headers["Location"]
    make_user(session, email="other@example.org")
    session.commit()
    other = Browser(app.test_client())
    other.sign_in("other@example.org", PASSWORD)
    response = other.get(review_url)
    assert response.status_code == 303 and response.headers["Location"].endswith("/grievances/new")
    assert "Private words." not in other.get("/grievances/new").get_data(as_text=True)


def test_bad_input_keeps_every_value_and_explains_each_field(member_browser, session):
    response = file_grievance(member_browser, narrative="", subject="My subject stays")
    html = response.get_data(as_text=True)
    # Refused, then redirected (Back from the next page never resends): the form as typed.
    assert response.status_code == 200 and 'id="error-summary"' in html
    assert "Tell us what happened." in html
    assert 'value="My subject stays"' in html
    assert "A refund of the second charge" in html
    assert count(session, Grievance) == 0


def test_future_date_and_disallowed_anonymity_are_refused(member_browser, session):
    response = file_grievance(member_browser, occurred_on="2999-01-01")
    assert "cannot be in the future" in response.get_data(as_text=True)
    response = file_grievance(member_browser, hide_identity="y")
    assert "your identity cannot be hidden" in response.get_data(as_text=True)
    assert count(session, Grievance) == 0


def test_identity_can_be_hidden_where_the_policy_allows(member_browser, session):
    response = file_grievance(member_browser, category="ethics", hide_identity="y")
    assert response.status_code == 303
    case = session.scalar(sa.select(Grievance))
    assert case.identity_hidden and case.committee.slug == "ethics"


def test_file_type_is_checked_by_content_and_nothing_is_half_written(member_browser, session, app):
    files_dir = Path(app.extensions["portal.settings"].files_dir)
    before = set(files_dir.rglob("*")) if files_dir.exists() else set()
    fake = io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(range(256)) * 4)
    response = file_grievance(member_browser, files=[(fake, "innocent.pdf")])
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“innocent.pdf” is not a file type we accept" in html
    assert count(session, Grievance) == 0 and count(session, Attachment) == 0
    after = set(files_dir.rglob("*")) if files_dir.exists() else set()
    assert {p for p in after - before if p.is_file()} == set()


def test_files_over_the_limit_return_to_the_review_with_everything_kept(
    member_browser, session, app
):
    limit = app.extensions["portal.upload_rules"].max_bytes
    assert app.config["MAX_CONTENT_LENGTH"] > limit  # the form around the files is still read
    over = io.BytesIO(b"%PDF-1.4\n" + b"0" * limit)
    response = file_grievance(member_browser, files=[(over, "big.pdf")])
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "you can send up to 20 MB at a time" in html and 'id="error-summary"' in html
    assert "Charged twice for dues" in html  # the review, with what was written
    assert count(session, Grievance) == 0


def test_a_body_too_large_to_read_comes_back_to_the_same_step(member_browser, session, app):
    huge = io.BytesIO(b"%PDF-1.4\n" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    response = file_grievance(member_browser, files=[(huge, "huge.pdf")])
    assert response.status_code == 303 and "too_large=1" in response.headers["Location"]
    back = member_browser.get(response.headers["Location"])
    html = back.get_data(as_text=True)
    assert back.status_code == 400 and 'id="error-summary"' in html
    assert "Those files were too large to receive: you can send up to 20 MB at a time." in html
    assert "Check your grievance before you send it" in html and "Charged twice for dues" in html
    assert 'data-max-upload-bytes="20971520"' in html  # the browser checks before sending
    assert count(session, Grievance) == 0


def test_the_same_form_sent_twice_files_one_case(member_browser, session):
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    data = {
        **form_tokens(page),
        "action": "submit",
        "category": "billing",
        "subject": "Twice",
        "narrative": "Double click.",
    }
    first = member_browser.client.post("/grievances/new", data=data)
    second = member_browser.client.post("/grievances/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(session, Grievance) == 1


def test_urgent_words_raise_the_priority_and_record_why(member_browser, session):
    review_page = member_browser.get("/grievances/new").get_data(as_text=True)
    review = member_browser.client.post(
        "/grievances/new",
        data={
            "csrf_token": csrf_token(review_page),
            "action": "review",
            "category": "events",
            "subject": "At the gala",
            "narrative": "Another member threatened me and I felt unsafe.",
        },
    )
    assert "This sounds urgent" in review.get_data(as_text=True)
    response = file_grievance(
        member_browser,
        category="events",
        subject="At the gala",
        narrative="Another member threatened me and I felt unsafe.",
    )
    assert response.status_code == 303
    case = session.scalar(sa.select(Grievance))
    assert case.priority == "urgent"
    assert case.escalation_level == 2  # the ladder's level entered by high-risk words
    assert "threatened" in case.triage_reason or "unsafe" in case.triage_reason


def test_live_triage_suggests_a_category_and_warns_of_an_open_case(member_browser, session):
    assert file_grievance(member_browser).status_code == 303
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    response = member_browser.client.post(
        "/grievances/triage",
        json={
            "subject": "Refund",
            "narrative": "I was overcharged on my invoice",
            "category": "billing",
        },
        headers={"X-CSRFToken": csrf_token(page)},
    )
    data = response.get_json()
    assert data["suggested_category"] == "billing" and data["urgent"] is False
    assert REF_RE.fullmatch(data["duplicate"])
    review = member_browser.client.post(
        "/grievances/new",
        data={
            "csrf_token": csrf_token(page),
            "action": "review",
            **{"category": "billing", "subject": "Again", "narrative": "Another charge."},
        },
    )
    assert f"Add this to {data['duplicate']} instead?" in review.get_data(as_text=True)


def test_named_members_are_kept_only_as_blind_indexes(member_browser, session):
    response = file_grievance(
        member_browser,
        party_emails="Bad.Actor@Example.org, other@example.org",
        party_member_numbers="m-555",
    )
    assert response.status_code == 303
    digests = set(session.scalars(sa.select(PartyIndex.digest)))
    root = keys.current().index_root
    assert blind_index(root, "email", "bad.actor@example.org") in digests
    assert (
        blind_index(root, "member_number", "M 555") in digests
        or blind_index(root, "member_number", "M-555") in digests
    )
    assert len(digests) == 3


def test_reviewer_cannot_file_online_for_themselves(browser, session, committees):
    from portal.domain.roles import Role
    from tests.factories import PASSWORD

    make_user(session, Role.REVIEWER, email="rev@example.org")
    session.commit()
    browser.sign_in("rev@example.org", PASSWORD)
    assert browser.get("/grievances/new").status_code == 403


def test_resending_an_edited_form_says_it_was_already_sent(member_browser, session):
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    data = {
        **form_tokens(page),
        "action": "submit",
        "category": "billing",
        "subject": "First",
        "narrative": "Original text.",
    }
    assert member_browser.client.post("/grievances/new", data=data).status_code == 303
    edited = member_browser.client.post(
        "/grievances/new", data={**data, "narrative": "Edited text."}
    )
    html = edited.get_data(as_text=True)
    assert edited.status_code == 400 and "This form was already sent as GRV-" in html
    assert count(session, Grievance) == 1


def test_a_forged_or_overlong_form_token_is_refused(member_browser, session):
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    for token in ("x" * 65, "short", "bad token with spaces!!"):
        data = {
            "csrf_token": csrf_token(page),
            "submission_token": token,
            "action": "submit",
            "category": "billing",
            "subject": "S",
            "narrative": "N",
        }
        assert member_browser.client.post("/grievances/new", data=data).status_code == 400, token
    assert count(session, Grievance) == 0
