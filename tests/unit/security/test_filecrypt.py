"""Evidence file encryption (STREAM over AES-GCM) and the encrypted upload spool."""

import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from portal.security.envelope import new_data_key
from portal.security.errors import DecryptionError
from portal.security.filecrypt import (
    CHUNK_SIZE,
    HEADER_BYTES,
    SEALED_CHUNK_SIZE,
    EphemeralSpool,
    decrypt_stream,
    encrypt_stream,
    make_spool,
)

DEK = new_data_key()
AAD = b"attachment|3d8c9f0a-0000-4000-8000-000000000001|content|1"
BOUNDARY_SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE]


def seal(plaintext: bytes, dek: bytes = DEK, aad: bytes = AAD) -> bytes:
    out = io.BytesIO()
    size = encrypt_stream(dek, aad, io.BytesIO(plaintext), out)
    assert size == len(plaintext)
    return out.getvalue()


def open_sealed(blob: bytes, dek: bytes = DEK, aad: bytes = AAD) -> bytes:
    return b"".join(decrypt_stream(dek, aad, io.BytesIO(blob)))


def chunks(blob: bytes) -> list[bytes]:
    body = blob[HEADER_BYTES:]
    return [body[i : i + SEALED_CHUNK_SIZE] for i in range(0, len(body), SEALED_CHUNK_SIZE)]


class TrickleReader(io.RawIOBase):
    """A source that returns short reads, like a socket or pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._data.read(min(len(buffer), 1000))
        buffer[: len(data)] = data
        return len(data)


@pytest.mark.parametrize("size", BOUNDARY_SIZES)
def test_round_trip_at_chunk_boundaries(size):
    plaintext = os.urandom(size)
    blob = seal(plaintext)
    chunk_count = max(1, -(-size // CHUNK_SIZE))
    assert len(blob) == HEADER_BYTES + size + 16 * chunk_count
    assert open_sealed(blob) == plaintext


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=300),
        st.sampled_from(BOUNDARY_SIZES).flatmap(
            lambda n: st.integers(max(0, n - 2), n + 2).map(lambda k: bytes([k % 251]) * k)
        ),
    )
)
def test_round_trip_property(plaintext):
    assert open_sealed(seal(plaintext)) == plaintext


def test_short_reads_from_source_still_chunk_correctly():
    plaintext = os.urandom(2 * CHUNK_SIZE + 10)
    out = io.BytesIO()
    encrypt_stream(DEK, AAD, TrickleReader(plaintext), out)
    assert out.getvalue()[:4] == b"GRVF"
    assert b"".join(decrypt_stream(DEK, AAD, TrickleReader(out.getvalue()))) == plaintext


def test_chunks_are_yielded_incrementally():
    plaintext = os.urandom(3 * CHUNK_SIZE)
    parts = list(decrypt_stream(DEK, AAD, io.BytesIO(seal(plaintext))))
    assert [len(p) for p in parts] == [CHUNK_SIZE] * 3


def test_same_file_twice_differs():
    assert seal(b"evidence") != seal(b"evidence")


def test_flipped_byte_anywhere_fails():
    blob = seal(os.urandom(CHUNK_SIZE + 100))
    for index in [0, 4, 5, 11, HEADER_BYTES, HEADER_BYTES + CHUNK_SIZE + 3, len(blob) - 1]:
        tampered = bytearray(blob)
        tampered[index] ^= 0x80
        with pytest.raises(DecryptionError):
            open_sealed(bytes(tampered))


def test_wrong_key_or_aad_fails():
    blob = seal(b"evidence")
    with pytest.raises(DecryptionError):
        open_sealed(blob, dek=new_data_key())
    with pytest.raises(DecryptionError):
        open_sealed(blob, aad=b"attachment|another|content|1")


def test_drop_last_chunk_fails():
    blob = seal(os.urandom(2 * CHUNK_SIZE + 5))
    with pytest.raises(DecryptionError):
        open_sealed(blob[: HEADER_BYTES + 2 * SEALED_CHUNK_SIZE])


def test_drop_last_full_chunk_fails():
    # Exactly two full chunks: cutting one leaves a valid-looking full chunk.
    blob = seal(os.urandom(2 * CHUNK_SIZE))
    with pytest.raises(DecryptionError):
        open_sealed(blob[: HEADER_BYTES + SEALED_CHUNK_SIZE])


@pytest.mark.parametrize("cut", [1, 16, 100, SEALED_CHUNK_SIZE // 2])
def test_cut_mid_chunk_fails(cut):
    blob = seal(os.urandom(2 * CHUNK_SIZE))
    with pytest.raises(DecryptionError):
        open_sealed(blob[:-cut])


def test_header_only_or_short_header_fails():
    blob = seal(b"")
    with pytest.raises(DecryptionError):
        open_sealed(blob[:HEADER_BYTES])
    with pytest.raises(DecryptionError):
        open_sealed(blob[:6])
    with pytest.raises(DecryptionError):
        open_sealed(b"")


def test_wrong_magic_or_version_fails_before_iteration():
    blob = seal(b"data")
    with pytest.raises(DecryptionError, match="not an encrypted"):
        decrypt_stream(DEK, AAD, io.BytesIO(b"XXXX" + blob[4:]))
    with pytest.raises(DecryptionError, match="version"):
        decrypt_stream(DEK, AAD, io.BytesIO(blob[:4] + b"\x02" + blob[5:]))


def test_reordered_chunks_fail():
    blob = seal(os.urandom(3 * CHUNK_SIZE + 7))
    parts = chunks(blob)
    swapped = [parts[1], parts[0], *parts[2:]]
    with pytest.raises(DecryptionError):
        open_sealed(blob[:HEADER_BYTES] + b"".join(swapped))


def test_chunk_from_another_file_fails():
    plaintext = os.urandom(2 * CHUNK_SIZE)
    first, second = chunks(seal(plaintext)), seal(plaintext)
    spliced = second[:HEADER_BYTES] + first[0] + chunks(second)[1]
    with pytest.raises(DecryptionError):
        open_sealed(spliced)


@pytest.mark.parametrize("size", [0, 10, CHUNK_SIZE])
@pytest.mark.parametrize("extra", [b"\x00", os.urandom(16), os.urandom(SEALED_CHUNK_SIZE)])
def test_appended_bytes_fail(size, extra):
    blob = seal(os.urandom(size))
    with pytest.raises(DecryptionError):
        open_sealed(blob + extra)


# --- EphemeralSpool ---------------------------------------------------------

MARKER = b"CONFIDENTIAL-MARKER-7f3a9c"


def disk_bytes(spool: EphemeralSpool) -> bytes:
    spool._file.flush()
    spool._file.seek(0)
    return spool._file.read()


def test_spool_never_writes_plaintext_to_disk():
    spool = EphemeralSpool()
    payload = (b"header " + MARKER + b" " * 1000) * 50
    spool.write(payload)
    on_disk = disk_bytes(spool)
    assert len(on_disk) == len(payload)
    assert MARKER not in on_disk
    assert b"header" not in on_disk
    spool.close()


@settings(max_examples=40)
@given(st.binary(min_size=1, max_size=2000), st.data())
def test_spool_reads_back_from_any_offset(payload, data):
    with EphemeralSpool() as spool:
        # Write in pieces, as Werkzeug does while parsing multipart data.
        cut = data.draw(st.integers(0, len(payload)))
        spool.write(payload[:cut])
        spool.write(memoryview(payload[cut:]))
        assert spool.tell() == len(payload)
        spool.seek(0)
        assert spool.read() == payload
        offset = data.draw(st.integers(0, len(payload)))
        assert spool.seek(offset) == offset
        assert spool.read(37) == payload[offset : offset + 37]
        assert spool.tell() == min(len(payload), offset + 37)


def test_spool_seek_whence_and_overwrite():
    with EphemeralSpool() as spool:
        spool.write(b"0123456789")
        assert spool.seek(-3, os.SEEK_END) == 7
        spool.write(b"abcdef")
        assert spool.seek(-2, os.SEEK_CUR) == 11
        assert spool.read() == b"ef"
        spool.seek(0)
        assert spool.read() == b"0123456abcdef"
        with pytest.raises(ValueError):
            spool.seek(-1)


def test_spool_write_past_end_fills_zeros():
    with EphemeralSpool() as spool:
        spool.write(b"ab")
        spool.seek(20)
        spool.write(b"z")
        spool.seek(0)
        assert spool.read() == b"ab" + bytes(18) + b"z"


def test_spool_readline_and_iteration():
    with EphemeralSpool() as spool:
        spool.write(b"one\ntwo\n" + b"x" * 9000 + b"\nlast")
        spool.seek(0)
        assert spool.readline() == b"one\n"
        assert spool.readline(2) == b"tw"
        assert spool.readline() == b"o\n"
        assert list(spool) == [b"x" * 9000 + b"\n", b"last"]


def test_spool_capabilities_and_close():
    spool = EphemeralSpool()
    assert spool.readable() and spool.writable() and spool.seekable()
    with pytest.raises(OSError):
        spool.fileno()  # no path to the raw ciphertext
    spool.close()
    assert spool.closed
    with pytest.raises(ValueError):
        spool.write(b"x")
    with pytest.raises(ValueError):
        spool.read()


def test_spool_truncate():
    with EphemeralSpool() as spool:
        spool.write(b"0123456789")
        assert spool.truncate(4) == 4
        spool.seek(0)
        assert spool.read() == b"0123"
        spool.truncate(6)
        spool.seek(0)
        assert spool.read() == b"0123\x00\x00"


def test_spool_content_survives_a_filestorage_save():
    spool = make_spool(None, "text/plain", "note.txt", None)
    spool.write(MARKER)
    spool.seek(0)
    target = io.BytesIO()
    FileStorage(spool, filename="note.txt").save(target)
    assert target.getvalue() == MARKER


class SpoolingRequest(Request):
    def _get_file_stream(
        self, total_content_length, content_type, filename=None, content_length=None
    ):
        return make_spool(total_content_length, content_type, filename, content_length)


def test_spool_as_werkzeug_upload_stream():
    payload = MARKER + os.urandom(CHUNK_SIZE * 2 + 3)
    builder = EnvironBuilder(
        method="POST", data={"file": (io.BytesIO(payload), "evidence.bin", "application/pdf")}
    )
    request = SpoolingRequest(builder.get_environ())
    try:
        upload = request.files["file"]
        assert isinstance(upload.stream, EphemeralSpool)
        assert MARKER not in disk_bytes(upload.stream)
        assert upload.read() == payload
        upload.stream.seek(0)
        out = io.BytesIO()
        encrypt_stream(DEK, AAD, upload.stream, out)
        assert open_sealed(out.getvalue()) == payload
    finally:
        request.close()
        builder.close()
