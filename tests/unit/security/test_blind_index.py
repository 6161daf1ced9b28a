"""Blind indexes: stable per field, normalised, and keyed."""

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.security.blind_index import audit_chain_key, blind_index, normalise
from portal.security.keys import derive_key

ROOT = secrets.token_bytes(32)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("email", "  Alice@Example.ORG \n", "alice@example.org"),
        ("email", "STRASSE@example.de", "strasse@example.de"),
        ("member_number", " ab-12 345 ", "AB12345"),
        ("member_number", "AB12345", "AB12345"),
        ("name", "  Zoë   van\tder  Berg ", "zoë van der berg"),
        ("name", "\uff21\uff22\uff23", "abc"),  # NFKC folds full-width letters
        ("name", "Straße", "strasse"),
    ],
)
def test_normalise(kind, value, expected):
    assert normalise(kind, value) == expected


def test_equivalent_spellings_share_an_index():
    assert blind_index(ROOT, "email", "Alice@Example.org") == blind_index(
        ROOT, "email", " alice@example.ORG"
    )
    assert blind_index(ROOT, "member_number", "ab-12 345") == blind_index(
        ROOT, "member_number", "AB12345"
    )


def test_index_is_32_bytes_and_deterministic():
    first = blind_index(ROOT, "email", "a@b.example")
    assert len(first) == 32
    assert first == blind_index(ROOT, "email", "a@b.example")


def test_fields_are_keyed_separately():
    assert blind_index(ROOT, "email", "x") != blind_index(ROOT, "party_email", "x")


def test_index_depends_on_root_key():
    other = secrets.token_bytes(32)
    assert blind_index(ROOT, "email", "a@b.example") != blind_index(other, "email", "a@b.example")


@settings(max_examples=50)
@given(st.text(), st.text())
def test_distinct_normal_forms_give_distinct_indexes(a, b):
    same = normalise("name", a) == normalise("name", b)
    assert (blind_index(ROOT, "name", a) == blind_index(ROOT, "name", b)) == same


def test_audit_chain_key_is_its_own_derivation():
    key = audit_chain_key(ROOT)
    assert len(key) == 32
    assert key == derive_key(ROOT, "audit-chain")
    assert key != derive_key(ROOT, "blind-index:email")
    assert key != ROOT
