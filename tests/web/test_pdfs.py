"""The PDFs: decision letter, case file and board report, read back by their text."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pypdf
import pytest
import sqlalchemy as sa

from portal.config import ROOT
from portal.db import utcnow
from portal.domain.roles import Role
from portal.models.audit import AuditEntry
from portal.models.committees import Seat
from portal.pdf.render import AssetFetcher, render_pdf
from portal.services import casefile, casework, decisions
from tests.factories import make_case, make_user, seat
from tests.web.conftest import signed_in


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def probe():  # type: ignore[no-untyped-def]
    """A local HTTP server that records every request made to it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def decided(app, session, committees, member):  # type: ignore[no-untyped-def]
    """A decided case of a member who reads Korean, with a message and an internal note."""
    member.language = "ko"
    chair = make_user(session, Role.CHAIR, email="chair@example.org", name="Carl Chair")
    seat(session, committees["member-services"], chair, Seat.CHAIR)
    policies = app.extensions["portal.policies"]
    case = make_case(app, session, member, now=utcnow() - timedelta(days=2))
    found, standing = casefile.committee_case(session, chair, case.reference)
    casework.send_reply(session, chair, found, standing, "We are checking the card statement.")
    casework.add_note(session, chair, found, standing, "Internal: the bank confirmed it.")
    decisions.record_decision(
        session, chair, found, standing, outcome="upheld", rationale="The second charge was an error.",
        remedy="The second charge is refunded.", clauses=["remedies"], policies=policies,
    )  # fmt: skip
    session.commit()
    return case


def test_the_member_downloads_their_decision_letter_in_korean(app, session, decided):
    got = signed_in(app, "filer@example.org").get(f"/grievances/{decided.reference}/letter.pdf")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    text = text_of(got.data)
    assert decided.reference in text
    assert "귀하의 고충에 대한 결정" in text and "이의신청" in text  # the member's language
    assert "The second charge was an error." in text and "refunded" in text
    assert "Example Professional Association" in text or "예시전문직협회" in text
    assert "Internal" not in text
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "case.letter_downloaded" and entry.actor_id is None


def test_a_letter_the_renderer_cannot_make_gets_a_page_saying_so(
    app, session, decided, monkeypatch
):
    member = signed_in(app, "filer@example.org")
    monkeypatch.setattr("portal.pdf.renderer.TIMEOUT_SECONDS", 0.0)
    got = member.get(f"/grievances/{decided.reference}/letter.pdf")
    assert got.status_code == 503 and got.mimetype == "text/html"
    page = got.get_data(as_text=True)  # the member reads Korean
    assert "지금은 이 PDF를 만들지 못했습니다" in page and "1분 뒤에 다시 시도해 주세요" in page
    assert "Traceback" not in page and "RenderFailed" not in page
    monkeypatch.undo()
    again = member.get(f"/grievances/{decided.reference}/letter.pdf")
    assert again.status_code == 200 and decided.reference in text_of(again.data)


def test_the_committee_gets_the_same_letter_and_the_case_file(app, session, decided):
    chair = signed_in(app, "chair@example.org")
    letter = text_of(chair.get(f"/committee/cases/{decided.reference}/letter.pdf").data)
    assert "귀하의 고충에 대한 결정" in letter  # in the member's language, not the chair's
    got = chair.get(f"/committee/cases/{decided.reference}/case-file.pdf")
    text = text_of(got.data)
    assert "My card was charged twice" in text and "We are checking the card statement." in text
    assert "Internal: the bank" not in text  # never a note
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "case.case_file_downloaded"


def test_nobody_else_gets_a_case_pdf(app, session, decided):
    make_user(session, Role.MEMBER, email="other@example.org")
    make_user(session, Role.REVIEWER, email="stranger@example.org")
    make_user(session, Role.ADMIN, email="admin@example.org")
    session.commit()
    assert (
        signed_in(app, "other@example.org")
        .get(f"/grievances/{decided.reference}/letter.pdf")
        .status_code
        == 404
    )
    for who in ("stranger@example.org", "admin@example.org"):
        assert (
            signed_in(app, who)
            .get(f"/committee/cases/{decided.reference}/case-file.pdf")
            .status_code
            == 404
        )


def test_markup_in_a_narrative_fetches_no_file_and_no_url(app, session, committees, member, probe):
    url, hits = probe
    narrative = (
        f'<img src="file:///etc/passwd"> <img src="{url}/img.png">'
        f'<link rel="stylesheet" href="{url}/style.css"> <div style="background: url({url}/bg)">x</div>'
    )
    case = make_case(app, session, member, now=utcnow() - timedelta(days=1), narrative=narrative)
    session.commit()
    got = signed_in(app, "filer@example.org").get(f"/grievances/{case.reference}/case-file.pdf")
    text = text_of(got.data)
    assert got.status_code == 200
    assert "root:x:0:0" not in text and hits == []
    assert '<img src="file:///etc/passwd">' in text.replace("\n", "")  # shown as the text it is


def test_the_fetcher_refuses_anything_but_the_portals_own_files(probe):
    """Even markup that reached the renderer could not read a file or call a URL."""
    url, hits = probe
    fetcher = AssetFetcher(ROOT / "static")
    html = (
        f'<p>Letter</p><img src="file:///etc/passwd"><img src="{url}/a.png">'
        f'<link rel="stylesheet" href="{url}/b.css"><img src="data:image/svg+xml;base64,PHN2Zy8+">'
        '<img src="portal-asset:../../etc/passwd"><img src="portal-asset:favicon.svg">'
    )
    text = text_of(render_pdf(html, ROOT / "static", fetcher=fetcher))
    assert "Letter" in text and "root:x:0:0" not in text and hits == []
    assert set(fetcher.refused) == {
        "file:///etc/passwd", f"{url}/a.png", f"{url}/b.css",
        "data:image/svg+xml;base64,PHN2Zy8+", "portal-asset:../../etc/passwd",
    }  # fmt: skip
    assert Path("/etc/passwd").exists()  # the file was there to be read, and was not


def test_the_board_report_holds_the_figures_causes_and_actions(app, session, decided):
    make_user(session, Role.AUDITOR, email="auditor@example.org")
    session.commit()
    month = utcnow().strftime("%Y-%m")
    got = signed_in(app, "auditor@example.org").get(f"/insight/report.pdf?month={month}")
    assert got.status_code == 200
    text = text_of(got.data)
    assert "monthly report for the board" in text
    for heading in ("Summary", "Grievances filed over time", "How long decisions took",
                    "Root causes of decided grievances", "Corrective actions", "What members told us"):  # fmt: skip
        assert heading in text
    assert "My card was charged" not in text and decided.reference not in text
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "report.downloaded" and entry.object_id == month


def _fonts_of(pdf: bytes) -> set[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            found.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return found


def test_a_document_is_set_in_the_font_of_its_language(app, tmp_path):
    """English in Liberation Sans, with Noto CJK only for the Hangul it quotes; Korean in
    Noto CJK throughout (the documents' own stylesheet, templates/pdf/base.html)."""
    page = app.jinja_env.from_string(
        '{% extends "pdf/base.html" %}{% block letterhead %}{% endblock %}'
        "{% block body %}<p>{{ words }}</p>{% endblock %}"
    )
    with app.test_request_context():
        english = render_pdf(page.render(page_language="en", words="Dear 김민지,"), tmp_path)
        korean = render_pdf(page.render(page_language="ko", words="김민지 님께, Dear"), tmp_path)
    assert "김민지" in text_of(english) and "김민지" in text_of(korean)
    english_fonts, korean_fonts = _fonts_of(english), _fonts_of(korean)
    assert any(f.startswith("Liberation") for f in english_fonts), english_fonts
    assert any("CJK" in f for f in english_fonts), english_fonts  # the Hangul
    assert all("CJK" in f for f in korean_fonts), korean_fonts
