"""Evidence files: streaming AES-256-GCM at rest and an encrypted upload spool.

Stored files use the STREAM construction (Hoang, Reyhanitabar, Rogaway,
Vizár): the plaintext is cut into 64 KiB chunks, each sealed with AES-GCM
under a nonce made of a per-file random prefix, the chunk counter and a
"last chunk" flag. The counter stops chunks being reordered or dropped from
the middle; the flag stops the file being truncated at a chunk boundary.

    header  = b"GRVF" || version (1) || nonce prefix (7)
    chunk i = AES-GCM(dek, prefix || i (4, big-endian) || last (1), plaintext_i, aad)

Every sealed chunk is CHUNK_SIZE + 16 bytes except the last, which may be
shorter (just a tag for an empty file).
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.security.errors import DecryptionError

MAGIC = b"GRVF"
VERSION = 1
PREFIX_BYTES = 7
HEADER_BYTES = len(MAGIC) + 1 + PREFIX_BYTES
CHUNK_SIZE = 64 * 1024
TAG_BYTES = 16
SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_BYTES
_MAX_CHUNKS = 2**32  # the counter is 4 bytes: 256 TiB per file
_KEY_BYTES = 32


def _aead(dek: bytes) -> AESGCM:
    if len(dek) != _KEY_BYTES:
        raise ValueError(f"expected a {_KEY_BYTES}-byte key")
    return AESGCM(dek)


def _chunk_nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes; fewer only at end of file (raw streams may return short reads)."""
    parts: list[bytes] = []
    remaining = size
    while remaining:
        data = source.read(remaining)
        if not data:
            break
        parts.append(data)
        remaining -= len(data)
    return b"".join(parts)


def encrypt_stream(dek: bytes, aad: bytes, source: BinaryIO, dest: BinaryIO) -> int:
    """Encrypt ``source`` into ``dest`` chunk by chunk; returns the plaintext size."""
    aead = _aead(dek)
    prefix = secrets.token_bytes(PREFIX_BYTES)
    dest.write(MAGIC + bytes([VERSION]) + prefix)
    size = 0
    counter = 0
    chunk = _read_exactly(source, CHUNK_SIZE)
    while True:
        # Read one chunk ahead: a chunk is last only if nothing follows it.
        following = _read_exactly(source, CHUNK_SIZE) if len(chunk) == CHUNK_SIZE else b""
        last = not following
        if counter >= _MAX_CHUNKS:
            raise ValueError("file is too large to encrypt")
        dest.write(aead.encrypt(_chunk_nonce(prefix, counter, last), chunk, aad))
        size += len(chunk)
        if last:
            return size
        chunk = following
        counter += 1


def decrypt_stream(dek: bytes, aad: bytes, source: BinaryIO) -> Iterator[bytes]:
    """Plaintext chunks of an encrypted file.

    The header is checked at once; chunk errors surface while iterating, after
    earlier chunks were yielded, so a caller must discard partial output when
    DecryptionError is raised (or let it abort the response).
    """
    header = _read_exactly(source, HEADER_BYTES)
    if len(header) != HEADER_BYTES or header[: len(MAGIC)] != MAGIC:
        raise DecryptionError("not an encrypted evidence file")
    if header[len(MAGIC)] != VERSION:
        raise DecryptionError("encrypted evidence file has an unknown version")
    try:
        aead = _aead(dek)
    except ValueError:
        raise DecryptionError("encrypted evidence file cannot be decrypted") from None
    return _decrypt_chunks(aead, header[len(MAGIC) + 1 :], aad, source)


def _decrypt_chunks(aead: AESGCM, prefix: bytes, aad: bytes, source: BinaryIO) -> Iterator[bytes]:
    counter = 0
    sealed = _read_exactly(source, SEALED_CHUNK_SIZE)
    while True:
        following = (
            _read_exactly(source, SEALED_CHUNK_SIZE) if len(sealed) == SEALED_CHUNK_SIZE else b""
        )
        last = not following
        # A file cut at a chunk boundary ends on a chunk sealed as "not last",
        # and appended bytes turn the real last chunk into a "not last" one:
        # both fail here because the flag is part of the nonce.
        try:
            plain = aead.decrypt(_chunk_nonce(prefix, counter, last), sealed, aad)
        except InvalidTag:
            raise DecryptionError("encrypted evidence file failed authentication") from None
        if plain:
            yield plain
        if last:
            return
        sealed = following
        counter += 1
        if counter >= _MAX_CHUNKS:
            raise DecryptionError("encrypted evidence file has too many chunks")


class EphemeralSpool(io.RawIOBase):
    """A seekable read/write file whose bytes on disk are AES-256-CTR ciphertext.

    Werkzeug spools uploads to a temporary file before the view runs; this
    stands in for it so an upload never reaches disk as plaintext. The key is
    random and held only in memory, and the file is unlinked from creation,
    so the spool is unreadable once closed, even after a crash.

    CTR is malleable, but that is acceptable here: the ciphertext never leaves
    this process and only ever passes between our own write and read.
    """

    def __init__(self) -> None:
        super().__init__()
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._key = secrets.token_bytes(_KEY_BYTES)
        self._nonce = secrets.token_bytes(8)
        self._pos = 0
        self._size = 0

    def _xor(self, offset: int, data: bytes) -> bytes:
        # Counter block = nonce || block index, so any offset is reachable
        # without generating the keystream before it.
        block, skip = divmod(offset, 16)
        counter = self._nonce + block.to_bytes(8, "big")
        cipher = Cipher(algorithms.AES(self._key), modes.CTR(counter)).encryptor()
        if skip:
            cipher.update(bytes(skip))
        return cipher.update(data)

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def readable(self) -> bool:
        self._check_open()
        return True

    def writable(self) -> bool:
        self._check_open()
        return True

    def seekable(self) -> bool:
        self._check_open()
        return True

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._check_open()
        if whence == os.SEEK_SET:
            target = offset
        elif whence == os.SEEK_CUR:
            target = self._pos + offset
        elif whence == os.SEEK_END:
            target = self._size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        self._pos = target
        return target

    def _read_at(self, offset: int, size: int) -> bytes:
        size = min(size, max(0, self._size - offset))
        if size <= 0:
            return b""
        self._file.seek(offset)
        return self._xor(offset, self._file.read(size))

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        self._check_open()
        view = memoryview(buffer).cast("B")
        data = self._read_at(self._pos, len(view))
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        # IOBase's default reads one byte per call: one cipher setup per byte.
        self._check_open()
        limit = max(0, self._size - self._pos)
        if size is not None and size >= 0:
            limit = min(limit, size)
        line = bytearray()
        while len(line) < limit:
            chunk = self._read_at(self._pos, min(8192, limit - len(line)))
            end = chunk.find(b"\n")
            taken = chunk if end < 0 else chunk[: end + 1]
            line += taken
            self._pos += len(taken)
            if end >= 0:
                break
        return bytes(line)

    def _write_at(self, offset: int, data: bytes) -> None:
        self._file.seek(offset)
        self._file.write(self._xor(offset, data))
        self._size = max(self._size, offset + len(data))

    def _zero_fill(self, end: int) -> None:
        # A hole in the temp file would decrypt to keystream, not zeros.
        while self._size < end:
            self._write_at(self._size, bytes(min(CHUNK_SIZE, end - self._size)))

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._check_open()
        raw = bytes(data)
        self._zero_fill(self._pos)
        self._write_at(self._pos, raw)
        self._pos += len(raw)
        return len(raw)

    def truncate(self, size: int | None = None) -> int:
        self._check_open()
        size = self._pos if size is None else size
        if size < 0:
            raise ValueError(f"negative size value {size}")
        if size < self._size:
            self._file.truncate(size)
            self._size = size
        else:
            self._zero_fill(size)
        return size

    def close(self) -> None:
        if not self.closed and hasattr(self, "_file"):
            self._file.close()
            self._key = b""  # drop the reference; Python cannot wipe memory
        super().close()


def make_spool(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None = None,
    content_length: int | None = None,
) -> EphemeralSpool:
    """Werkzeug stream factory (``Request._get_file_stream`` signature)."""
    return EphemeralSpool()
