"""The evidence store: encrypted files on disk, placed only when the database commits.

A file is encrypted into `incoming/` while the request runs. When the
transaction commits it moves into place; when it rolls back it is deleted. So
the database never names a file that is not there, and a crash leaves at most
an orphan for `flask files sweep`.

A part is on disk, its data and its name, before the transaction naming it commits
(`fsync`), so that a power cut after the commit cannot leave a committed attachment with an
empty or missing file. A process killed at the wrong moment (SIGKILL, a power cut, the OOM
killer) leaves one of two things in `incoming/`: the part of an upload whose transaction never
committed (an orphan: nothing names it, the sweep deletes it once it is older than any
request can take), or, if it died between COMMIT and the move, the complete part of a
committed attachment (the sweep moves it into place, whatever its age). Everything that can
fail for lack of space (writing, creating the folders) happens before the commit; after it
there is only a rename in the same filesystem.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.security.filecrypt import decrypt_stream, encrypt_stream
from portal.security.keys import fsync_dir

PENDING_KEY = "portal.pending_files"
PART = ".part"
# A part older than this belongs to no running request (gunicorn kills a worker after 30 s).
STALE_AFTER_SECONDS = 300

log = logging.getLogger("portal.storage")


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
        final = self.path_of(storage_id)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        part = self.part_of(storage_id)
        try:
            with open(part, "xb") as dest:
                size = encrypt_stream(dek, aad, source, dest)
                dest.flush()
                os.fsync(dest.fileno())
            fsync_dir(self.incoming)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        session.info.setdefault(PENDING_KEY, []).append((part, final))
        return size

    def part_of(self, storage_id: str) -> Path:
        return self.incoming / f"{storage_id}{PART}"

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

    def incoming_parts(self) -> dict[str, Path]:
        """Every part in incoming/, by storage id."""
        found = self.incoming.glob(f"*{PART}") if self.incoming.exists() else []
        return {part.name.removesuffix(PART): part for part in found}

    def is_stale(self, part: Path, older_than: float = STALE_AFTER_SECONDS) -> bool:
        try:
            return part.stat().st_mtime < time.time() - older_than
        except FileNotFoundError:  # placed or discarded meanwhile
            return False

    def place(self, storage_id: str) -> bool:
        """Move a committed attachment's part into place (its process died before it could).
        False if the part is gone, placed by its own process meanwhile."""
        final = self.path_of(storage_id)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.replace(self.part_of(storage_id), final)
        except FileNotFoundError:
            return False
        return True


def _place(session: Session) -> None:
    for part, final in session.info.pop(PENDING_KEY, []):
        try:
            os.replace(part, final)
        except OSError as exc:
            # Committed already: the part stays complete in incoming/ and `flask files sweep`
            # puts it in place. Failing the request now would hide a case that was filed.
            log.error("evidence file %s not moved into place: %s", final.name, exc.strerror)


def _discard(session: Session) -> None:
    for part, _final in session.info.pop(PENDING_KEY, []):
        part.unlink(missing_ok=True)


def _end(session: Session, transaction: object) -> None:
    # Whatever the outermost transaction did not commit is thrown away.
    if getattr(transaction, "parent", None) is None:
        _discard(session)


event.listen(Session, "after_commit", _place)
event.listen(Session, "after_transaction_end", _end)
