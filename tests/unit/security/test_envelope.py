"""Envelope encryption: data keys wrapped by the KEK ring, fields bound to their place."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.security.envelope import (
    FORMAT_VERSION,
    decrypt_bytes,
    decrypt_text,
    encrypt_bytes,
    encrypt_text,
    field_aad,
    new_data_key,
    unwrap_data_key,
    wrap_data_key,
)
from portal.security.errors import DecryptionError, KeyNotFound
from portal.security.keys import KeyRing

CASE_A = b"grievance|6f1c0b7e-0000-4000-8000-000000000001"
CASE_B = b"grievance|6f1c0b7e-0000-4000-8000-000000000002"
DEK = new_data_key()
AAD = field_aad("grievances", "narrative", "row-1")


def flip(blob: bytes, index: int) -> bytes:
    out = bytearray(blob)
    out[index] ^= 0x01
    return bytes(out)


def test_new_data_key_is_random_256_bits():
    assert len(DEK) == 32
    assert new_data_key() != new_data_key()


def test_wrap_round_trip_uses_active_kek():
    ring = KeyRing.generate().with_new_active_key()
    kid, wrapped = wrap_data_key(ring, DEK, CASE_A)
    assert kid == ring.active_id
    assert unwrap_data_key(ring, kid, wrapped, CASE_A) == DEK


def test_wrap_is_randomised():
    ring = KeyRing.generate()
    assert wrap_data_key(ring, DEK, CASE_A)[1] != wrap_data_key(ring, DEK, CASE_A)[1]


def test_wrapped_key_under_another_case_fails():
    ring = KeyRing.generate()
    kid, wrapped = wrap_data_key(ring, DEK, CASE_A)
    with pytest.raises(DecryptionError):
        unwrap_data_key(ring, kid, wrapped, CASE_B)


def test_wrong_kek_fails():
    ring = KeyRing.generate()
    other = KeyRing(keys={ring.active_id: new_data_key()}, active_id=ring.active_id)
    kid, wrapped = wrap_data_key(ring, DEK, CASE_A)
    with pytest.raises(DecryptionError):
        unwrap_data_key(other, kid, wrapped, CASE_A)


def test_unknown_kid_is_key_not_found():
    ring = KeyRing.generate()
    _, wrapped = wrap_data_key(ring, DEK, CASE_A)
    with pytest.raises(KeyNotFound, match="k9"):
        unwrap_data_key(ring, "k9", wrapped, CASE_A)


def test_wrapped_key_survives_rotation_by_id():
    ring = KeyRing.generate()
    kid, wrapped = wrap_data_key(ring, DEK, CASE_A)
    assert unwrap_data_key(ring.with_new_active_key(), kid, wrapped, CASE_A) == DEK


@pytest.mark.parametrize("index", [0, 5, 20, 59])
def test_tampered_wrapped_key_fails(index):
    ring = KeyRing.generate()
    kid, wrapped = wrap_data_key(ring, DEK, CASE_A)
    with pytest.raises(DecryptionError):
        unwrap_data_key(ring, kid, flip(wrapped, index), CASE_A)
    with pytest.raises(DecryptionError):
        unwrap_data_key(ring, kid, wrapped[:-1], CASE_A)


def test_field_aad_names_table_column_row_version_and_flags_unambiguously():
    aad = field_aad("parties", "name", "42", "public=1")
    for part in (b"parties", b"name", b"42", str(FORMAT_VERSION).encode(), b"public=1"):
        assert len(part).to_bytes(4, "big") + part in aad
    # Length prefixes: moving a separator between parts changes the bytes.
    assert field_aad("a|b", "c", "1") != field_aad("a", "b|c", "1")
    assert field_aad("ab", "c", "1") != field_aad("a", "bc", "1")
    assert field_aad("t", "c", "1", "public=1") != field_aad("t", "c", "1", "public=0")


def test_a_wrapped_key_relabelled_with_another_key_id_fails():
    ring = KeyRing.generate()
    first = ring.active_id
    _kid, wrapped = wrap_data_key(ring, DEK, CASE_A)
    # Same key bytes under a second id: the id is bound, so relabelling fails.
    twin = KeyRing(keys={first: ring.get(first), "kother": ring.get(first)}, active_id=first)
    with pytest.raises(DecryptionError):
        unwrap_data_key(twin, "kother", wrapped, CASE_A)


@settings(max_examples=60)
@given(st.text())
def test_text_round_trip(plaintext):
    blob = encrypt_text(DEK, plaintext, AAD)
    assert blob[0] == FORMAT_VERSION
    assert decrypt_text(DEK, blob, AAD) == plaintext


@settings(max_examples=60)
@given(st.binary())
def test_bytes_round_trip(plaintext):
    assert decrypt_bytes(DEK, encrypt_bytes(DEK, plaintext, AAD), AAD) == plaintext


def test_same_plaintext_twice_differs():
    assert encrypt_text(DEK, "same", AAD) != encrypt_text(DEK, "same", AAD)


@settings(max_examples=40)
@given(st.text(min_size=1, max_size=40), st.data())
def test_any_flipped_byte_fails(plaintext, data):
    blob = encrypt_text(DEK, plaintext, AAD)
    index = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(DecryptionError):
        decrypt_text(DEK, flip(blob, index), AAD)


@pytest.mark.parametrize(
    "other",
    [
        field_aad("grievances", "narrative", "row-2"),  # another row
        field_aad("grievances", "outcome", "row-1"),  # another column
        field_aad("notes", "narrative", "row-1"),  # another table
    ],
)
def test_ciphertext_moved_elsewhere_fails(other):
    blob = encrypt_text(DEK, "the narrative", AAD)
    with pytest.raises(DecryptionError):
        decrypt_text(DEK, blob, other)


def test_wrong_data_key_fails():
    blob = encrypt_text(DEK, "secret", AAD)
    with pytest.raises(DecryptionError):
        decrypt_text(new_data_key(), blob, AAD)


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01" + bytes(27)])
def test_short_blob_fails(blob):
    with pytest.raises(DecryptionError):
        decrypt_bytes(DEK, blob, AAD)


def test_unknown_version_fails():
    blob = encrypt_text(DEK, "x", AAD)
    with pytest.raises(DecryptionError, match="version"):
        decrypt_text(DEK, b"\x09" + blob[1:], AAD)


def test_bytes_that_are_not_utf8_fail_as_text():
    blob = encrypt_bytes(DEK, b"\xff\xfe", AAD)
    with pytest.raises(DecryptionError):
        decrypt_text(DEK, blob, AAD)


def test_error_messages_do_not_leak_plaintext():
    blob = encrypt_text(DEK, "very private words", AAD)
    with pytest.raises(DecryptionError) as info:
        decrypt_text(DEK, blob, field_aad("x", "y", "z"))
    assert "private" not in str(info.value)


def test_wrong_length_data_key_rejected():
    with pytest.raises(ValueError):
        encrypt_text(b"short", "x", AAD)
    with pytest.raises(DecryptionError):
        decrypt_text(b"short", encrypt_text(DEK, "x", AAD), AAD)
