"""The evidence store: encrypted files on disk, placed only when the database commits.

A file is encrypted into `incoming/` while the request runs. When the
transaction commits it moves into place; when it rolls back it is deleted. So
the database never names a file that is not there, and a crash leaves at most
an orphan for `flask files sweep`.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.security.filecrypt import decrypt_stream, encrypt_stream

PENDING_KEY = "portal.pending_files"


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / "incoming"

    def path_of(self, storage_id: str) -> Path:
        return self.root / storage_id[:2] / storage_id

    def new_id(self) -> str:
        return secrets.token_hex(16)

    def write(
        self, session: Session, storage_id: str, dek: bytes, aad: bytes, source: BinaryIO
    ) -> int:
        """Encrypt `source` into incoming/; it moves into place when `session` commits.

        Returns the plaintext size. No digest of the plaintext is returned to be
        kept: a stored fingerprint would identify the document to anyone holding it."""
        self.incoming.mkdir(parents=True, exist_ok=True, mode=0o700)
        part = self.incoming / f"{storage_id}.part"
        try:
            with open(part, "xb") as dest:
                size = encrypt_stream(dek, aad, source, dest)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        session.info.setdefault(PENDING_KEY, []).append((part, self.path_of(storage_id)))
        return size

    def read(self, storage_id: str, dek: bytes, aad: bytes) -> Iterator[bytes]:
        with open(self.path_of(storage_id), "rb") as source:
            yield from decrypt_stream(dek, aad, source)

    def stored_ids(self) -> Iterator[str]:
        for sub in self.root.iterdir() if self.root.exists() else []:
            if sub.is_dir() and sub.name != "incoming":
                for item in sub.iterdir():
                    yield item.name

    def remove(self, storage_id: str) -> None:
        self.path_of(storage_id).unlink(missing_ok=True)

    def stale_incoming(self, older_than: float = 3600) -> Iterator[Path]:
        cutoff = time.time() - older_than
        for part in self.incoming.glob("*.part") if self.incoming.exists() else []:
            if part.stat().st_mtime < cutoff:
                yield part


def _place(session: Session) -> None:
    for part, final in session.info.pop(PENDING_KEY, []):
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(part, final)


def _discard(session: Session) -> None:
    for part, _final in session.info.pop(PENDING_KEY, []):
        part.unlink(missing_ok=True)


def _end(session: Session, transaction: object) -> None:
    # Whatever the outermost transaction did not commit is thrown away.
    if getattr(transaction, "parent", None) is None:
        _discard(session)


event.listen(Session, "after_commit", _place)
event.listen(Session, "after_transaction_end", _end)
