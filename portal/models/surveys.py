"""The post-resolution survey: who is invited, what they answered, and the chair's follow-ups.

The invitation belongs to a case (it must know whom to mail and when); the answer does not.
`survey_answers` holds no case id, no member id and no time more precise than the month the
case was decided, so a reviewer (or a dump) cannot line an answer up with the case it rates;
what it keeps is what the breakdowns need: committee, category, reviewer of record, month.
A low score opens a `SurveyFollowUp` for the committee's chair, which names the case (the
chair already knows it) but not the answer.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UTCDateTime, utcnow
from portal.models.committees import Committee
from portal.models.encrypted import Encrypted, EncryptedText
from portal.models.grievances import Grievance
from portal.security import keys
from portal.security.envelope import encode_parts, new_data_key, unwrap_data_key, wrap_data_key


class SurveyInvitation(Base):
    """One per decided case: due `send_at`, mailed at `sent_at` with a single-use link, open
    until `closes_at`, reminded once. Only hashes of the links' tokens are kept; the mail
    and the reminder each carry their own token (the first stays valid after the reminder)."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        # The sweep: invitations not yet sent, by when they are due.
        sa.Index("ix_survey_invitations_due", "sent_at", "send_at"),
        # The sweep: sent, unanswered, not reminded, by when they were sent.
        sa.Index("ix_survey_invitations_remind", "answered", "reminded_at", "sent_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), unique=True
    )
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether it was answered, and deliberately not when: an answer time here would line up
    # with nothing on the answer row, but would date the answer for anyone reading both.
    answered: Mapped[bool] = mapped_column(default=False)
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    reminder_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # The language the mail was written in: the survey page opens in it.
    language: Mapped[str | None] = mapped_column(sa.String(8))

    grievance: Mapped[Grievance] = relationship()


def answer_aad(answer_id: uuid.UUID) -> bytes:
    """What an answer's wrapped data key is bound to: that answer alone."""
    return encode_parts("survey-answer", str(answer_id))


class SurveyAnswer(Encrypted, Base):
    """One member's answers, apart from their case. Scores are plain (they are counted in
    SQL); the comment is encrypted under the answer's own data key, wrapped by the KEK ring
    like a case's, so `flask keys rotate` covers it."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        sa.CheckConstraint("outcome_score BETWEEN 1 AND 5", name="outcome_score"),
        sa.CheckConstraint("process_score BETWEEN 1 AND 5", name="process_score"),
        sa.CheckConstraint("fairness_score BETWEEN 1 AND 5", name="fairness_score"),
        sa.CheckConstraint("recommend_score BETWEEN 0 AND 10", name="recommend_score"),
        # The chair's results and a dashboard's GROUP BY committee, category, month.
        sa.Index("ix_survey_answers_committee_month", "committee_id", "decided_month", "category"),
        sa.Index("ix_survey_answers_reviewer", "reviewer_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("committees.id"))
    category: Mapped[str] = mapped_column(sa.String(60))
    # The reviewer assigned to the case when it was decided (None: nobody was assigned).
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The first day of the month the case was decided, in the association's time zone.
    decided_month: Mapped[date] = mapped_column(sa.Date)
    outcome_score: Mapped[int] = mapped_column(sa.SmallInteger)
    process_score: Mapped[int] = mapped_column(sa.SmallInteger)
    fairness_score: Mapped[int] = mapped_column(sa.SmallInteger)
    recommend_score: Mapped[int] = mapped_column(sa.SmallInteger)
    # Only an answer with a comment has a data key.
    dek_key_id: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    dek_wrapped: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    comment = EncryptedText()

    committee: Mapped[Committee] = relationship()

    @classmethod
    def new(cls, comment: str | None, **values: Any) -> SurveyAnswer:
        answer = cls(id=uuid.uuid4(), **values)
        if comment:
            dek = new_data_key()
            answer.dek_key_id, answer.dek_wrapped = wrap_data_key(
                keys.current().ring, dek, answer_aad(answer.id)
            )
            answer._dek = dek
            answer.comment = comment
        return answer

    def case_key(self) -> bytes:
        dek: bytes | None = self.__dict__.get("_dek")
        if dek is None:
            if self.dek_key_id is None or self.dek_wrapped is None:
                raise ValueError("this answer has no comment and no data key")
            dek = unwrap_data_key(
                keys.current().ring, self.dek_key_id, bytes(self.dek_wrapped), answer_aad(self.id)
            )
            self._dek = dek
        return dek


class SurveyFollowUp(Base):
    """A low score on a case: its committee's chair looks into it and marks it done."""

    __tablename__ = "survey_follow_ups"
    __table_args__ = (sa.Index("ix_survey_follow_ups_open", "committee_id", "done_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), unique=True
    )
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("committees.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    grievance: Mapped[Grievance] = relationship()
