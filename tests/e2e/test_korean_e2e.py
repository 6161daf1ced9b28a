"""A member with a Korean browser registers, files a grievance with evidence, reads the acknowledgement.

Every field is found by its Korean label, and the promised dates are written the Korean way.
The acknowledgement's text, as the browser saw it, is written to the test's temporary folder
and printed (run with -s to read it).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.models.grievances import Grievance
from portal.models.users import User
from tests.factories import make_policy_committees

pytestmark = pytest.mark.e2e

KOREAN_DATE = r"\d{4}년 \d{1,2}월 \d{1,2}일 \([월화수목금토일]\) 오[전후] \d{1,2}:\d\d"
PASSWORD = "서울에서 보내는 긴 비밀번호 문장"


@pytest.fixture
def committees(live_server):  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        make_policy_committees(session, live_server.app.extensions["portal.policies"])
        session.commit()


def test_a_korean_member_files_a_grievance_in_korean(
    korean_member_pages, live_server, committees, tmp_path
):
    pages = korean_member_pages
    page = pages.page
    pages.register(
        name="김민지", email="minji@example.kr", password=PASSWORD, member_number="S-1024"
    )
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_text("아직 신청하신 고충이 없습니다.")).to_be_visible()

    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="고충 신청하기").click()
    pages.expect_heading("고충 신청하기")
    page.get_by_role("group", name="어떤 고충입니까?").get_by_label("회비 및 청구").check()
    page.get_by_label("짧은 제목").fill("회비가 두 번 청구되었습니다")
    page.get_by_label("있었던 일").fill(
        "3월 연회비가 카드로 두 번 결제되었습니다. 사무국에 문의했지만 답이 없습니다."
    )
    page.get_by_label("관련된 사람(선택)").fill("회원 관리팀")
    page.get_by_label("일이 일어난 날짜(선택)").fill("2026-03-02")
    page.get_by_label("바라시는 결과(선택)").fill("두 번째 결제 금액의 환불")
    page.get_by_role("button", name="신청 내용 확인하기").click()

    pages.expect_heading("보내기 전에 신청 내용을 확인하십시오")
    expect(page.get_by_text("2026년 3월 2일")).to_be_visible()
    receipt = tmp_path / "영수증.pdf"
    receipt.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.get_by_label("증빙 파일(선택)").set_input_files(str(receipt))
    page.get_by_role("button", name="고충 신청 보내기").click()

    pages.expect_heading("고충 신청이 접수되었습니다")
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"GRV-\d{4}-\d{6}", reference)
    promise = page.locator(".ack .prose").inner_text()
    assert len(re.findall(KOREAN_DATE, promise)) == 2, promise  # respond by, decide by
    text = page.get_by_role("main").inner_text()
    saved = tmp_path / "acknowledgement-ko.txt"
    saved.write_text(text, encoding="utf-8")
    print(f"\n--- the acknowledgement page as the Korean browser saw it ({saved}) ---\n{text}\n---")

    page.get_by_role("link", name=f"{reference} 보기").click()
    pages.expect_heading(f"{reference}: 회비가 두 번 청구되었습니다")
    expect(page.get_by_role("link", name="영수증.pdf")).to_be_visible()
    timeline = page.get_by_role("region", name="처리 경과")
    expect(timeline).to_contain_text("온라인으로 신청함")
    expect(timeline.get_by_text(re.compile(KOREAN_DATE)).first).to_be_visible()
    expect(page.get_by_text(re.compile(rf"첫 답변 기한: {KOREAN_DATE}"))).to_be_visible()

    with live_server.session() as session:
        user = session.scalar(sa.select(User).where(User.email_key == "minji@example.kr"))
        case = session.scalar(sa.select(Grievance).where(Grievance.reference == reference))
        assert user.language is None  # the browser chose Korean; nothing was saved for it
        assert [a.filename for a in case.attachments] == ["영수증.pdf"]
        assert re.search(KOREAN_DATE, case.acknowledgement)


def test_the_switch_works_without_javascript_and_is_kept_on_the_account(
    chromium, live_server, committees
):
    from tests.e2e.conftest import MemberPages, page_in

    with page_in(chromium, java_script_enabled=False, locale="en-GB") as page:
        pages = MemberPages(page, live_server)
        pages.register(name="Ana Park", email="ana@example.org", password=PASSWORD)
        page.get_by_role("banner").get_by_role("button", name="한국어").click()
        pages.expect_heading("나의 고충 신청")
        expect(page).to_have_url(re.compile(r"/my/grievances$"))
        page.get_by_role("banner").get_by_role("button", name="English").click()
        pages.expect_heading("My grievances")
        page.get_by_role("banner").get_by_role("button", name="한국어").click()
        with live_server.session() as session:
            user = session.scalar(sa.select(User).where(User.email_key == "ana@example.org"))
            assert user.language == "ko"
