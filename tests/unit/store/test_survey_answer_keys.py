"""A survey comment is sealed under the answer's own data key, wrapped by the KEK ring: key
rotation rewraps it, a key still wrapping one cannot be retired, `keys verify` reads it."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Flask

from portal.db import database
from portal.models.surveys import SurveyAnswer
from portal.security import keys
from portal.services import keyring as rotation
from tests.factories import make_committee
from tests.unit.store.test_key_commands import start_rotation_by_hand


def answer(session, committee_id: int, comment: str | None) -> SurveyAnswer:  # type: ignore[no-untyped-def]
    row = SurveyAnswer.new(
        comment,
        committee_id=committee_id,
        category="ethics",
        reviewer_id=None,
        decided_month=date(2026, 3, 1),
        outcome_score=4,
        process_score=4,
        fairness_score=4,
        recommend_score=9,
    )
    session.add(row)
    return row


def test_rotation_rewraps_answer_keys_and_retirement_waits_for_them(own_app: Flask):
    with database(own_app).new_session() as s:
        committee = make_committee(s)
        answer(s, committee.id, "Kind and quick.")
        answer(s, committee.id, None)  # no comment: no key at all
        s.commit()
        k1 = keys.current().ring.active_id
        assert dict(rotation.usage(s)) == {k1: 1}
    cli = own_app.test_cli_runner()
    k2 = start_rotation_by_hand(own_app).active_id  # a new key, nothing rewrapped yet
    refused = cli.invoke(args=["keys", "retire", k1])
    assert refused.exit_code != 0 and f"{k1} still wraps 1 data keys" in refused.output

    rotated = cli.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "resuming: 1 case keys still wrapped by older keys" in rotated.output
    with database(own_app).new_session() as s:
        assert dict(rotation.usage(s)) == {k2: 1}
        [commented] = s.scalars(sa.select(SurveyAnswer).where(SurveyAnswer.dek_key_id.is_not(None)))
        assert commented.comment == "Kind and quick."
    assert cli.invoke(args=["keys", "retire", k1]).exit_code == 0
    verified = cli.invoke(args=["keys", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "1 encrypted values" in verified.output
