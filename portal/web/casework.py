"""What the case views share: the evidence store, upload rules, uploads from the request."""

from __future__ import annotations

from flask import current_app, request

from portal.services.evidence import Upload, UploadRules
from portal.storage import EvidenceStore


def store() -> EvidenceStore:
    return current_app.extensions["portal.store"]


def upload_rules() -> UploadRules:
    return current_app.extensions["portal.upload_rules"]


def uploads(field: str = "evidence") -> list[Upload]:
    return [
        Upload(filename=f.filename or "evidence", stream=f.stream)
        for f in request.files.getlist(field)
        if f and f.filename
    ]
