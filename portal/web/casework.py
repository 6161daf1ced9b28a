"""What the case views share: the evidence store, upload rules, uploads from the request."""

from __future__ import annotations

from flask import current_app, request
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.domain.errors import InvalidInput
from portal.i18n import _l
from portal.models.grievances import Grievance
from portal.models.users import User
from portal.policies import current_policies
from portal.services import intake
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


def file_once(
    actor: User, member: User | None, filing: intake.Filing, lang: str | None = None
) -> Grievance:
    """File and commit (roll back on a refusal); when the same form arrives twice at once, the second
    request answers with the case the first one filed (the token is unique). The acknowledgement
    is written in `lang` (else the association's default language)."""
    try:
        case = intake.file_grievance(
            db.session(),
            actor,
            member,
            filing,
            current_policies(),
            store(),
            upload_rules(),
            lang=lang,
        )
        db.commit()
    except InvalidInput:
        db.rollback()
        raise
    except IntegrityError:
        db.rollback()
        found = intake.find_by_token(db.session(), filing.submission_token or "")
        if found is None:
            raise
        if not intake.sent_for(found, actor, member):
            raise InvalidInput(
                _l("This form is out of date. Please start your grievance again.")
            ) from None
        return found
    return case
