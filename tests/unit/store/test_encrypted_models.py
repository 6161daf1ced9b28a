"""Encrypted model fields: they round-trip, and a ciphertext is bound to its place.

The associated data of every field names table, column and row, and each case
has its own data key wrapped with the case id as associated data: a blob moved
anywhere else, or changed by one bit, is refused rather than decrypted.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm.exc import StaleDataError

from portal.db import database
from portal.domain.roles import Role
from portal.models.grievances import Grievance, Message
from portal.security.errors import DecryptionError
from portal.services.references import next_reference
from tests.factories import make_committee, make_user
from tests.unit.store.conftest import flip, new_case


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    member = make_user(session, Role.MEMBER)
    reviewer = make_user(session, Role.REVIEWER)
    committee = make_committee(session, "ethics", "Ethics & Professional Conduct")
    return member, reviewer, committee


@pytest.fixture
def case(session, people):  # type: ignore[no-untyped-def]
    member, _, committee = people
    return new_case(session, member, committee)


def reload(session, obj):  # type: ignore[no-untyped-def]
    """The same row read back from the database into a new object (no cached data key)."""
    model, key = type(obj), obj.id
    session.flush()
    session.expunge_all()
    return session.get(model, key)


def set_column(session, obj, column: str, value: bytes | None) -> None:  # type: ignore[no-untyped-def]
    """Write a stored value behind the model's back, as someone with database access would."""
    table = type(obj).__table__
    session.execute(sa.update(table).where(table.c.id == obj.id).values({column: value}))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(subject=st.text(), narrative=st.text(max_size=2000), involved=st.none() | st.text())
def test_fields_round_trip_through_the_database(session, case, subject, narrative, involved):
    case.subject = subject
    case.narrative = narrative
    case.people_involved = involved
    session.flush()
    session.expire(case)  # read the ciphertext back from the row

    assert (case.subject, case.narrative, case.people_involved) == (subject, narrative, involved)


def test_a_fresh_object_unwraps_its_key_and_decrypts(session, case):
    again = reload(session, case)

    assert again is not case
    assert "_dek" not in again.__dict__
    assert again.subject == "Charged twice for dues"
    assert again.narrative == "My card was charged twice in March."
    assert again.desired_outcome is None


def test_required_fields_refuse_none(case):
    with pytest.raises(ValueError, match="subject is required"):
        case.subject = None


def test_same_plaintext_twice_gives_different_ciphertext(session, case, people):
    case.subject = "Same words"
    first = case.subject_ct
    case.subject = "Same words"
    second = case.subject_ct
    other = new_case(session, people[0], people[2], subject="Same words")

    assert first != second
    assert len({first, second, other.subject_ct}) == 3
    assert case.subject == other.subject == "Same words"


@pytest.mark.parametrize(
    "index",
    [0, 1, 13, -1],
    ids=["version byte", "nonce", "ciphertext", "tag"],
)
def test_one_flipped_byte_in_a_stored_ciphertext_is_refused(session, case, index):
    stored = bytes(case.narrative_ct)
    set_column(session, case, "narrative_ct", flip(stored, index))
    tampered = reload(session, case)

    assert tampered.subject == "Charged twice for dues"  # the other field is intact
    with pytest.raises(DecryptionError):
        _ = tampered.narrative


def test_a_ciphertext_copied_back_to_its_own_place_still_reads(session, case):
    # The control for the tests below: copying itself is not what fails.
    set_column(session, case, "subject_ct", bytes(case.subject_ct))

    assert reload(session, case).subject == "Charged twice for dues"


def test_a_subject_copied_to_another_case_is_refused(session, case, people):
    other = new_case(session, people[0], people[2], subject="Another case")
    set_column(session, other, "subject_ct", bytes(case.subject_ct))

    with pytest.raises(DecryptionError):
        _ = reload(session, other).subject


def test_a_subject_copied_to_the_narrative_of_the_same_case_is_refused(session, case):
    set_column(session, case, "narrative_ct", bytes(case.subject_ct))
    again = reload(session, case)

    assert again.subject == "Charged twice for dues"
    with pytest.raises(DecryptionError):
        _ = again.narrative


def test_a_message_body_copied_to_another_message_is_refused(session, case, people):
    member, reviewer, _ = people
    first = Message(grievance=case, author=member, from_member=True)
    first.body = "The first message"
    second = Message(grievance=case, author=reviewer, from_member=False)
    second.body = "The second message"
    session.add_all([first, second])
    session.flush()
    set_column(session, second, "body_ct", bytes(first.body_ct))

    assert reload(session, first).body == "The first message"
    with pytest.raises(DecryptionError):
        _ = reload(session, second).body


def test_a_wrapped_data_key_copied_to_another_case_does_not_unwrap(session, case, people):
    other = new_case(session, people[0], people[2], subject="Another case")
    set_column(session, other, "dek_wrapped", bytes(case.dek_wrapped))
    moved = reload(session, other)

    assert moved.dek_key_id == case.dek_key_id
    with pytest.raises(DecryptionError):
        moved.case_key()
    with pytest.raises(DecryptionError):
        _ = moved.subject


def test_the_raw_row_holds_no_plaintext(session, people):
    member, _, committee = people
    words = {
        "subject": "Marmalade allowance dispute",
        "narrative": "The treasurer Quentin Zabriskie refused the claim.",
        "people_involved": "Quentin Zabriskie",
        "desired_outcome": "Reimburse the marmalade",
    }
    case = new_case(session, member, committee, words["subject"], words["narrative"])
    case.people_involved = words["people_involved"]
    case.desired_outcome = words["desired_outcome"]
    session.flush()

    table = Grievance.__table__
    row = session.execute(sa.select(table).where(table.c.id == case.id)).one()._mapping
    raw = b"\n".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row.values()
    )

    for column in ("subject_ct", "narrative_ct", "people_involved_ct", "desired_outcome_ct"):
        assert isinstance(row[column], bytes | memoryview)
    for text in [*words.values(), "Marmalade", "Zabriskie", "marmalade"]:
        assert text.encode() not in raw
        assert text.encode("utf-16-le") not in raw
    assert case.reference.encode() in raw  # metadata stays readable: the scan reads the row


def test_references_have_the_public_format_and_increase(session):
    now = datetime(2091, 5, 17, 12, 0, tzinfo=UTC)
    references = [next_reference(session, now) for _ in range(4)]
    numbers = [int(ref.rsplit("-", 1)[1]) for ref in references]

    assert all(re.fullmatch(r"GRV-2091-\d{6}", ref) for ref in references)
    assert references[0] == "GRV-2091-000001"
    assert numbers == sorted(set(numbers))
    assert all(b - a == 1 for a, b in itertools.pairwise(numbers))


def test_each_year_has_its_own_sequence(session):
    first = next_reference(session, datetime(2092, 12, 31, 23, 59, tzinfo=UTC))
    second = next_reference(session, datetime(2092, 6, 1, tzinfo=UTC))
    new_year = next_reference(session, datetime(2093, 1, 1, 0, 0, tzinfo=UTC))
    third = next_reference(session, datetime(2092, 7, 1, tzinfo=UTC))

    assert [first, second, third] == ["GRV-2092-000001", "GRV-2092-000002", "GRV-2092-000003"]
    assert new_year == "GRV-2093-000001"


def test_concurrent_edits_of_one_case_fail_the_second_flush(app, session, case):
    session.commit()
    db = database(app)
    with db.new_session() as first, db.new_session() as second:
        mine = first.get(Grievance, case.id)
        theirs = second.get(Grievance, case.id)
        assert mine.version == theirs.version == 1

        mine.status = "in_review"
        first.flush()
        assert mine.version == 2
        theirs.status = "closed"
        with pytest.raises(StaleDataError):
            second.flush()
        second.rollback()
        first.rollback()
