"""Evidence files: type checked by content, stored encrypted under the case's key."""

from __future__ import annotations

import errno
import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

import filetype
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import FilesNotStored, InvalidInput
from portal.i18n import _l
from portal.models.grievances import Attachment, Grievance
from portal.models.users import User
from portal.storage import EvidenceStore

log = logging.getLogger("portal.evidence")

SNIFF_BYTES = 8192
MB = 1024 * 1024
TYPE_NAMES = {
    "application/pdf": _l("PDF"),
    "image/png": _l("PNG image"),
    "image/jpeg": _l("JPEG image"),
    "image/gif": _l("GIF image"),
    "image/webp": _l("WebP image"),
    "text/plain": _l("text file"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _l("Word document"),
    "application/msword": _l("Word document"),
}


NOT_STORED = _l(
    "We could not save your files just now, so nothing was sent. Everything you wrote is kept. "
    "Please choose the files again and try in a little while."
)


@dataclass(frozen=True)
class Upload:
    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class UploadRules:
    allowed_types: tuple[str, ...]
    max_files: int = 10
    max_bytes: int = 20 * 1024 * 1024  # all files of one request together

    @property
    def max_megabytes(self) -> str:
        return f"{self.max_bytes / MB:g}"

    def describe(self) -> str:
        # Named when shown, so in the reader's language.
        names = sorted({str(TYPE_NAMES.get(t, t)) for t in self.allowed_types})
        return ", ".join(names)


class _Described:
    """The accepted types, named when the message is shown (in the reader's language)."""

    def __init__(self, rules: UploadRules) -> None:
        self.rules = rules

    def __str__(self) -> str:
        return self.rules.describe()


def sniff(stream: BinaryIO) -> str | None:
    """The type the bytes say they are, not what the name claims."""
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if not head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(head) - 3:
            return None
    return "text/plain" if b"\x00" not in head else None


def _size(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def check_uploads(uploads: list[Upload], rules: UploadRules) -> list[tuple[Upload, str]]:
    """Each upload with its sniffed type; InvalidInput naming the first bad file."""
    if len(uploads) > rules.max_files:
        raise InvalidInput(
            _l("You can attach up to %(max)d files at a time.", max=rules.max_files), "evidence"
        )
    sizes = [_size(u.stream) for u in uploads]
    if sum(sizes) > rules.max_bytes:
        raise InvalidInput(
            _l(
                "These files come to %(size)s MB; you can send up to %(max)s MB at a time. "
                "Nothing was sent. Choose smaller files, or fewer.",
                size=f"{sum(sizes) / MB:.1f}",
                max=rules.max_megabytes,
            ),
            "evidence",
        )
    checked = []
    for upload in uploads:
        kind = sniff(upload.stream)
        if kind is None or kind not in rules.allowed_types:
            raise InvalidInput(
                _l(
                    "“%(name)s” is not a file type we accept. Please attach one of: %(types)s.",
                    name=upload.filename,
                    types=_Described(rules),
                ),
                "evidence",
            )
        checked.append((upload, kind))
    return checked


def store_uploads(
    session: Session,
    store: EvidenceStore,
    case: Grievance,
    uploader: User,
    checked: list[tuple[Upload, str]],
    from_member: bool,
    now: datetime | None = None,
) -> list[Attachment]:
    attachments = []
    for upload, kind in checked:
        attachment = Attachment(
            grievance=case,
            # The member's own files name no uploader: the case's member sent them.
            uploaded_by=None if from_member else uploader,
            uploaded_at=now or utcnow(),
            storage_id=store.new_id(),
            from_member=from_member,
            size=0,
        )
        attachment.filename = _clean_name(upload.filename)
        attachment.content_type = kind
        upload.stream.seek(0)
        try:
            attachment.size = store.write(
                session,
                attachment.storage_id,
                case.case_key(),
                attachment.content_aad(),
                upload.stream,
            )
        except OSError as exc:
            # The store removed its partial file; the caller rolls back, which removes the
            # files written before this one. The operator needs the cause, not the file.
            log.error(
                "evidence store refused a file: %s (%s)",
                errno.errorcode.get(exc.errno or 0, "error"),
                exc.strerror or type(exc).__name__,
            )
            raise FilesNotStored(NOT_STORED, "evidence") from None
        session.add(attachment)
        attachments.append(attachment)
    return attachments


def _clean_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(c for c in name if c.isprintable())[:200] or "evidence"


def read(store: EvidenceStore, attachment: Attachment) -> bytes:
    """The whole file, decrypted and authenticated chunk by chunk.

    Read fully before answering, so a damaged file becomes an error page rather
    than half a download."""
    return b"".join(
        store.read(attachment.storage_id, attachment.grievance.case_key(), attachment.content_aad())
    )


# The extension a download is saved under comes from the type found in the bytes at upload,
# never from the name the uploader gave: `invoice.html` holding text saves as `.txt`.
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "text/plain": ".txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/msword": ".doc",
}


def download_name(attachment: Attachment) -> tuple[str, str]:
    """(file name, content type) to send a file under: the stem the uploader gave, without
    control or bidirectional characters, and the extension of the type detected at upload."""
    kind = attachment.content_type or "application/octet-stream"
    name = _clean_name(attachment.filename or "evidence")
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = "".join(c for c in stem if unicodedata.category(c) not in ("Cf", "Cc")).strip(". ")
    return (stem or "evidence") + EXTENSIONS.get(kind, ".bin"), kind
