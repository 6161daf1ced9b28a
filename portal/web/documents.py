"""PDF downloads: a case's decision letter and case file (member's and committee's pages)."""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user

from portal import db
from portal.config import ROOT
from portal.domain.roles import Role
from portal.pdf.render import render_pdf
from portal.policies import current_policies
from portal.services import documents
from portal.web.access import roles, signed_in
from portal.web.committee import bp as committee_bp
from portal.web.language import speaking
from portal.web.member import bp as member_bp

STATIC = ROOT / "static"
TEMPLATES = {documents.LETTER: "pdf/letter.html", documents.CASE_FILE: "pdf/case_file.html"}
NAMES = {documents.LETTER: "decision-letter", documents.CASE_FILE: "case-file"}
KINDS = {"letter": documents.LETTER, "case-file": documents.CASE_FILE}


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
    pdf = render_pdf(html, STATIC)
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
