"""PDF downloads: a case's decision letter and case file (member's and committee's pages)."""

from __future__ import annotations

from flask import Response, current_app, render_template
from flask_login import current_user

from portal import db
from portal.domain.roles import Role
from portal.pdf.renderer import Renderer
from portal.policies import current_policies
from portal.services import documents
from portal.web.access import roles, signed_in
from portal.web.committee import bp as committee_bp
from portal.web.language import speaking
from portal.web.member import bp as member_bp

TEMPLATES = {documents.LETTER: "pdf/letter.html", documents.CASE_FILE: "pdf/case_file.html"}
NAMES = {documents.LETTER: "decision-letter", documents.CASE_FILE: "case-file"}
KINDS = {"letter": documents.LETTER, "case-file": documents.CASE_FILE}


def render_pdf(html: str) -> bytes:
    """The PDF of `html`, made by the host's renderer process (see portal.pdf.renderer)."""
    renderer: Renderer = current_app.extensions["portal.pdf"]
    return renderer.render(html)


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF built in memory, sent as a download."""
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def render_document(doc: documents.CaseDocument) -> Response:
    with speaking(doc.language):
        html = render_template(
            TEMPLATES[doc.kind], doc=doc, case=doc.case, policies=current_policies()
        )
    pdf = render_pdf(html)
    return pdf_response(pdf, f"{doc.case.reference}-{NAMES[doc.kind]}.pdf")


@member_bp.get("/grievances/<reference>/<any(letter, 'case-file'):kind>.pdf")
@roles(Role.MEMBER)
def member_document(reference: str, kind: str) -> Response:
    doc = documents.for_member(
        db.session(), current_user, reference, KINDS[kind], current_policies()
    )
    db.commit()  # the download is recorded
    return render_document(doc)


@committee_bp.get("/cases/<reference>/<any(letter, 'case-file'):kind>.pdf")
@signed_in  # anyone who may not open the case gets 404 from the service
def committee_document(reference: str, kind: str) -> Response:
    doc = documents.for_committee(
        db.session(), current_user, reference, KINDS[kind], current_policies()
    )
    db.commit()  # the download is recorded
    return render_document(doc)
