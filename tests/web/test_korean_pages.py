"""Every page of the role matrix, read with a Korean browser, shows no untranslated string.

Checked against the catalogue, not by eye: for each msgid whose Korean differs from it, the
English text must not appear on the Korean page (tags stripped). The association's own texts
(policy files) must show their Korean variant too; then they are taken out of the page, so their
words are not mistaken for the catalogue's.
"""

from __future__ import annotations

import html as htmllib
import io
import re
from functools import cache

import pytest
from babel.messages.pofile import read_po
from pydantic import BaseModel

from portal.domain.roles import Role
from portal.i18n import TRANSLATIONS_DIR
from portal.policies.texts import LocalizedText
from portal.web.public.views import render_markdown
from tests.conftest import Browser, form_tokens
from tests.factories import PASSWORD, make_committee, make_user
from tests.web.conftest import FIELDS, PDF, REF_RE, file_grievance
from tests.web.test_access_matrix import MATRIX, WHO

ANON = "anonymous"
KOREAN = {"HTTP_ACCEPT_LANGUAGE": "ko-KR,ko;q=0.9,en;q=0.8"}
MIN_FRAGMENT = 4  # shorter pieces ("No", "You", "KB") are not evidence of anything


def text_of(markup: str) -> str:
    """What a reader sees: no tags, no script or style, entities decoded, spaces collapsed."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    markup = re.sub(r"<[^>]+>", " ", markup)
    return re.sub(r"\s+", " ", htmllib.unescape(markup)).strip()


@cache
def english_fragments() -> list[tuple[str, re.Pattern[str]]]:
    """(msgid, pattern) for each English piece of a msgid that Korean says differently."""
    with open(TRANSLATIONS_DIR / "ko" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po, locale="ko")
    found = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:
                continue  # the same in both languages ("PDF")
            # Placeholders, tags and sentence ends cut a msgid into pieces checked one by one.
            for piece in re.split(r"%\(\w+\)[sd]|<[^>]+>|(?<=[.?!])\s+", msgid):
                piece = text_of(piece).strip(" .,:;()“”")
                if len(piece) >= MIN_FRAGMENT and re.search("[A-Za-z]{3}", piece):
                    found.append((msgid, re.compile(rf"(?<![\w]){re.escape(piece)}(?![\w])")))
    return found


def localized_texts(value: object) -> list[LocalizedText]:
    """Every text the association writes in the policy set, with its variants."""
    found: list[LocalizedText] = []
    if isinstance(value, LocalizedText):
        found.append(value)
    elif isinstance(value, BaseModel):
        for name, item in vars(value).items():
            if name != "keywords":  # matched in what members write, never shown
                found += localized_texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            found += localized_texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found += localized_texts(item)
    return found


def policy_words(policies) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """(English texts that Korean says differently, every variant of every text), as shown."""
    english, every = set(), set()
    for text in localized_texts(policies):
        for lang, variant in text.variants.items():
            # A template's placeholders are filled on the page: keep the words around them.
            pieces = [text_of(p) for p in re.split(r"\{\w+\}", variant) if " " in p.strip()]
            every.update(pieces)
            if lang == "en" and variant != text.in_language("ko"):
                english.update(p for p in pieces if len(p) >= 12)
    for page in policies.pages.values():
        for lang in ("ko", "en"):
            for kind, chunk in page.segments(lang):
                if kind == "markdown":
                    every.add(text_of(render_markdown(chunk)))
    return sorted(english), sorted(every - {""}, key=len, reverse=True)


def untranslated(markup: str, policies) -> list[str]:  # type: ignore[no-untyped-def]
    """Catalogue msgids, and the association's own texts, shown in English on a Korean page."""
    text = text_of(markup)
    english, every = policy_words(policies)
    found = {f"policy text: {t}" for t in english if t in text}
    for own in every:
        text = text.replace(own, " ")
    found |= {msgid for msgid, pattern in english_fragments() if pattern.search(text)}
    return sorted(found)


def korean_browser(app) -> Browser:  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base.update(KOREAN)
    return Browser(client)


def test_the_check_finds_an_english_page(app, client):
    """Guard against a check that passes everything: the English page fails it."""
    policies = app.extensions["portal.policies"]
    english = client.get("/sign-in").get_data(as_text=True)
    assert "Skip to main content" in untranslated(english, policies)
    korean = client.get("/sign-in", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert untranslated(korean, policies) == []
    slipped = korean.replace("</main>", "<p>The committee will keep you informed here.</p></main>")
    assert (
        "The committee will keep you informed here. You will get a message when anything changes."
        in untranslated(slipped, policies)
    )
    label = policies.categories["billing"].label
    assert label.in_language("ko") != label.in_language("en")
    english_label = korean.replace("</main>", f"<p>{label.in_language('en')}</p></main>")
    assert f"policy text: {label.in_language('en')}" in untranslated(english_label, policies)


@pytest.mark.parametrize("who", WHO, ids=str)
def test_role_matrix_pages_in_korean(app, session, who):
    committee = make_committee(session)
    target = make_user(session)
    if who != ANON:
        make_user(session, who, email=f"{who}@example.org")
    session.commit()
    browser = korean_browser(app)
    if who != ANON:
        assert browser.sign_in(f"{who}@example.org", PASSWORD).status_code == 303
    policies = app.extensions["portal.policies"]
    failures = {}
    for template, _allowed in MATRIX:
        url = template.format(user=target.id, committee=committee.id)
        response = browser.get(url, follow_redirects=True)
        html = response.get_data(as_text=True)
        assert '<html lang="ko">' in html, url
        if found := untranslated(html, policies):
            failures[f"{who} {url} ({response.status_code})"] = found
    assert failures == {}


def test_member_case_pages_in_korean(app, session, committees):
    make_user(session, Role.MEMBER, email="kim@example.org", name="김민지")
    session.commit()
    browser = korean_browser(app)
    browser.sign_in("kim@example.org", PASSWORD)
    policies = app.extensions["portal.policies"]
    pages: dict[str, str] = {}
    form = browser.get("/grievances/new").get_data(as_text=True)
    pages["empty filing form"] = browser.client.post(
        "/grievances/new", data={**form_tokens(form), "action": "review"}
    ).get_data(as_text=True)
    reviewed = browser.client.post(
        "/grievances/new", data={**form_tokens(form), **FIELDS, "action": "review"}
    )
    pages["review"] = browser.get(reviewed.headers["Location"]).get_data(as_text=True)
    pages["review, files too large"] = browser.get(
        reviewed.headers["Location"] + "?too_large=1"
    ).get_data(as_text=True)
    pages["change something"] = browser.get(
        "/grievances/new?draft=" + reviewed.headers["Location"].rsplit("/", 1)[1]
    ).get_data(as_text=True)
    filed = file_grievance(browser, files=[(io.BytesIO(PDF), "receipt.pdf")])
    assert filed.status_code == 303
    pages["acknowledgement"] = browser.get(filed.headers["Location"]).get_data(as_text=True)
    reference = REF_RE.search(pages["acknowledgement"]).group(0)
    pages["case"] = browser.get(f"/grievances/{reference}").get_data(as_text=True)
    pages["withdraw"] = browser.get(f"/grievances/{reference}/withdraw").get_data(as_text=True)
    pages["case, files too large"] = browser.get(
        f"/grievances/{reference}?too_large=evidence"
    ).get_data(as_text=True)
    pages["list"] = browser.get("/my/grievances").get_data(as_text=True)
    pages["duplicate warning"] = browser.get("/grievances/new?category=billing").get_data(
        as_text=True
    )
    pages["not found"] = browser.get("/grievances/GRV-2000-000001").get_data(as_text=True)
    pages["category page"] = browser.get("/policies/harassment").get_data(as_text=True)
    failures = {
        name: found for name, html in pages.items() if (found := untranslated(html, policies))
    }
    assert failures == {}


def test_staff_pages_in_korean(app, session, committees):
    make_user(session, Role.MEMBER, email="lee@example.org", name="이서준")
    make_user(session, Role.REVIEWER, email="rev@example.org")
    session.commit()
    browser = korean_browser(app)
    browser.sign_in("rev@example.org", PASSWORD)
    policies = app.extensions["portal.policies"]
    search = browser.get("/committee/record?q=lee").get_data(as_text=True)
    member_id = re.search(r"/committee/record\?member=(\d+)", search).group(1)
    record = browser.get(f"/committee/record?member={member_id}").get_data(as_text=True)
    missing = browser.get("/committee/record?q=nobody-here").get_data(as_text=True)
    failures = {
        name: found
        for name, html in {"search": search, "record": record, "no match": missing}.items()
        if (found := untranslated(html, policies))
    }
    assert failures == {}
