"""Choosing the language: the account's choice, else the browser's, else the association's."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from portal.domain.roles import Role
from tests.conftest import Browser, csrf_token
from tests.factories import PASSWORD, make_user
from tests.web.conftest import REF_RE, file_grievance

KOREAN_DATE = re.compile(r"\d{4}년 \d{1,2}월 \d{1,2}일 \([월화수목금토일]\) 오[전후] \d{1,2}:\d\d")


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="(\w+)">', html)
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ko-KR,ko;q=0.9,en-US;q=0.8", "ko"),
        ("ko", "ko"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR, ko;q=0.5", "ko"),
        ("en;q=0.4, ko;q=0.8", "ko"),
        ("fr, de", "en"),
    ],
)
def test_the_browsers_language_is_negotiated(client, header, expected):
    html = client.get("/sign-in", headers={"Accept-Language": header}).get_data(as_text=True)
    assert lang_of(html) == expected
    assert ("로그인" in html) == (expected == "ko")


def test_without_a_preference_the_association_default_applies(app, client, monkeypatch):
    assert lang_of(client.get("/sign-in").get_data(as_text=True)) == "en"

    class KoreanDefault:
        """The loaded policy set, declaring Korean as its default language."""

        languages = SimpleNamespace(default="ko")

        def __init__(self, real: object) -> None:
            self._real = real

        def __getattr__(self, name: str) -> object:
            return getattr(self._real, name)

    monkeypatch.setitem(
        app.extensions, "portal.policies", KoreanDefault(app.extensions["portal.policies"])
    )
    assert lang_of(client.get("/sign-in").get_data(as_text=True)) == "ko"
    # A browser that asks for English still gets English.
    html = client.get("/sign-in", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang_of(html) == "en"


def switch(client, language: str, next_path: str = "/register", **headers: str):  # type: ignore[no-untyped-def]
    page = client.get(next_path, headers=headers).get_data(as_text=True)
    return client.post(
        "/language",
        data={"csrf_token": csrf_token(page), "language": language, "next": next_path},
        headers=headers,
    )


def test_every_page_offers_the_switch_without_javascript(client):
    for path in ("/", "/sign-in", "/policies/", "/nowhere"):
        html = client.get(path).get_data(as_text=True)
        form = re.search(
            r'<form class="language-switch" method="post" action="/language".*?</form>', html, re.S
        )
        assert form, path
        assert 'name="csrf_token"' in form.group(0)
        assert 'value="ko" lang="ko" class="link-button">한국어</button>' in form.group(0)
        assert f'name="next" value="{path}"' in form.group(0)


def test_a_visitor_switches_and_the_choice_is_kept(client):
    response = switch(client, "ko", "/register", **{"Accept-Language": "en"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/register"
    html = client.get("/register", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang_of(html) == "ko" and "계정 만들기" in html
    assert 'value="en" lang="en" class="link-button">English</button>' in html  # and back again
    assert switch(client, "en").status_code == 303
    assert lang_of(client.get("/register").get_data(as_text=True)) == "en"


def test_a_signed_in_choice_is_saved_on_the_account(app, session):
    user = make_user(session, Role.MEMBER, email="ko@example.org")
    session.commit()
    browser = Browser(app.test_client())
    browser.sign_in("ko@example.org", PASSWORD)
    assert switch(browser.client, "ko", "/account").headers["Location"] == "/account"
    session.refresh(user)
    assert user.language == "ko"
    # Another browser, asking for English, reads the account's choice.
    other = Browser(app.test_client())
    other.sign_in("ko@example.org", PASSWORD)
    html = other.get("/my/grievances", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang_of(html) == "ko" and "나의 고충 신청" in html


def test_a_visitors_choice_survives_signing_in_and_out(app, session):
    make_user(session, Role.MEMBER, email="visitor@example.org")
    session.commit()
    browser = Browser(app.test_client())
    switch(browser.client, "ko", "/sign-in")
    assert browser.sign_in("visitor@example.org", PASSWORD).status_code == 303
    assert lang_of(browser.get("/account").get_data(as_text=True)) == "ko"
    response = browser.sign_out()
    assert response.status_code == 303
    assert "로그아웃했습니다." in browser.get("/sign-in").get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_the_switch_never_sends_anyone_off_site(client, target):
    page = client.get("/").get_data(as_text=True)
    response = client.post(
        "/language", data={"csrf_token": csrf_token(page), "language": "ko", "next": target}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_the_switch_needs_its_form_token_and_a_known_language(client):
    assert client.post("/language", data={"language": "ko", "next": "/"}).status_code == 400
    response = switch(client, "xx", "/sign-in")
    assert response.status_code == 303
    assert lang_of(client.get("/sign-in").get_data(as_text=True)) == "en"
    assert client.get("/language").status_code == 405


def test_a_korean_member_reads_dates_and_the_acknowledgement_in_korean(member_browser):
    member_browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ko-KR,ko;q=0.9"
    response = file_grievance(member_browser, occurred_on="2026-03-02")
    assert response.status_code == 303
    ack = member_browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "고충 신청이 접수되었습니다" in ack
    assert len(KOREAN_DATE.findall(ack)) == 2  # response and decision dates, in the kept text
    reference = REF_RE.search(ack).group(0)
    page = member_browser.get(f"/grievances/{reference}").get_data(as_text=True)
    assert KOREAN_DATE.search(page) and "2026년 3월 2일" in page  # when it happened
    assert "온라인으로 신청함" in page and "접수됨" in page  # timeline and status
    listing = member_browser.get("/my/grievances").get_data(as_text=True)
    assert re.search(r"첫 답변 기한: \d{4}년 \d{1,2}월 \d{1,2}일 오[전후] \d{1,2}:\d\d", listing)


def test_the_acknowledgement_keeps_the_language_it_was_written_in(member_browser):
    member_browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ko"
    response = file_grievance(member_browser)
    member_browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    ack = member_browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "We have received your grievance" in ack  # the page follows today's reader
    assert KOREAN_DATE.search(ack)  # the promise keeps the words it was made in


def test_validation_messages_are_translated(member_browser):
    member_browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ko"
    page = member_browser.get("/grievances/new").get_data(as_text=True)
    response = member_browser.client.post(
        "/grievances/new", data={"csrf_token": csrf_token(page), "action": "review"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "고충의 종류를 고르십시오." in html and "어떤 일이 있었는지 적어 주십시오." in html
    assert "Choose the kind of grievance." not in html
