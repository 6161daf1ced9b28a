"""Policy texts in the reader's language: the procedure pages, the filing form, the acknowledgement.

The client asks for Korean the way a Korean reader's browser does (Accept-Language), and the
tests read the pages as that member would.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.models.grievances import Grievance
from tests.web.conftest import REF_RE, file_grievance
from tests.web.test_public_pages import outline


@pytest.fixture
def korean(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ko-KR,ko;q=0.9"


def test_the_procedure_page_reads_in_korean(client: FlaskClient, korean: None) -> None:
    html = client.get("/policies/").get_data(as_text=True)
    page = outline(html)

    assert page.h1 == ["고충 처리 절차"]
    assert "<title>고충 처리 절차" in html
    assert "신청하시기 전에" in html and "Before you start" not in html
    categories = [row[0] for row in page.rows if row]
    assert "괴롭힘 및 차별" in categories and "회비 및 청구" in categories
    assert ["회비 및 청구", "회비, 청구서, 납부, 환불과 각종 요금에 관한 문제입니다."] in [
        row[:2] for row in page.rows
    ]
    assert [
        "긴급",
        "누군가의 안전이 위험하거나, 괴롭힘이 있거나, 법적 기한이 걸린 경우입니다.",
    ] in [row[:2] for row in page.rows]
    assert [row[:2] for row in page.rows if row and row[0] in {"1", "2", "3"}] == [
        ["1", "심사위원"],
        ["2", "위원장"],
        ["3", "이사회 고충심의위원회"],
    ]
    assert "약속한 기한을 넘긴 경우" in html


def test_the_procedure_page_stays_english_by_default(client: FlaskClient) -> None:
    page = outline(client.get("/policies/").get_data(as_text=True))

    assert page.h1 == ["How we handle grievances"]
    assert "Harassment and discrimination" in [row[0] for row in page.rows if row]


def test_a_category_page_reads_in_korean(client: FlaskClient, korean: None) -> None:
    html = client.get("/policies/harassment").get_data(as_text=True)
    page = outline(html)

    assert page.h1 == ["괴롭힘 및 차별"]
    assert "신청인을 보호하는 방법" in html
    assert ">고충 처리 절차</a>" in html  # the breadcrumb back to the procedure
    assert ["담당", "윤리위원회"] in page.rows
    assert ["기본 우선순위", "긴급"] in page.rows


def test_the_filing_form_shows_korean_categories_and_safety_notice(
    member_browser, korean: None
) -> None:
    html = member_browser.get("/grievances/new").get_data(as_text=True)

    for label in ("윤리 및 직업윤리", "괴롭힘 및 차별", "회비 및 청구", "개인정보 보호"):
        assert f"<strong>{label}</strong>" in html
    assert "회비, 청구서, 납부, 환불과 각종 요금에 관한 문제입니다." in html
    assert "회원서비스위원회" in html
    assert "<strong>Dues and billing</strong>" not in html
    assert "지금 위험에 처한 사람이 있다면" in html


def test_a_member_reading_korean_is_acknowledged_in_korean(
    member_browser, session, korean: None
) -> None:
    response = file_grievance(member_browser)
    assert response.status_code == 303

    html = member_browser.get(response.headers["Location"]).get_data(as_text=True)
    reference = REF_RE.search(html).group(0)

    assert "Fiona Filer 님께" in html
    assert f"접수하신 고충의 접수번호는 {reference}이며, 회원서비스위원회에서 맡습니다." in html
    assert "목표로 합니다" in html and "We will respond by" not in html
    case = session.scalar(sa.select(Grievance).where(Grievance.reference == reference))
    assert "회원서비스위원회에서 맡습니다" in case.acknowledgement  # kept as it was sent


def test_the_live_triage_hint_names_the_category_in_korean(member_browser, korean: None) -> None:
    from tests.conftest import csrf_token

    token = csrf_token(member_browser.get("/grievances/new").get_data(as_text=True))
    response = member_browser.client.post(
        "/grievances/triage",
        json={"subject": "Invoice", "narrative": "I was charged twice and want a refund"},
        headers={"X-CSRFToken": token},
    )

    assert response.get_json()["suggested_label"] == "회비 및 청구"
