"""The case store: a grievance and everything written about it."""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from portal.db import Base, UTCDateTime, utcnow
from portal.models.committees import Committee
from portal.models.encrypted import Encrypted, EncryptedText
from portal.models.policies import PolicyVersion
from portal.models.users import User
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.security.envelope import encode_parts, new_data_key, unwrap_data_key, wrap_data_key


def case_aad(case_id: uuid.UUID, member_digest: bytes) -> bytes:
    """What a case's wrapped data key is bound to: the case, and whose case it is.

    Pointing a case at another member in the database makes every field of it
    undecryptable rather than showing it to that member."""
    return encode_parts("grievance", str(case_id), bytes(member_digest).hex())


def member_digest(user_id: int) -> bytes:
    """The keyed index linking a case to its member: a dump cannot join it to a user."""
    return blind_index(keys.current().index_root, "case-member", str(user_id))


def _utc_day(context: Any) -> date:
    """A case made without the intake service (tests, imports) is dated by its UTC day; the
    intake writes the day in the association's time zone."""
    submitted = context.get_current_parameters().get("submitted_at") if context else None
    return (submitted or utcnow()).astimezone(UTC).date()


class Grievance(Encrypted, Base):
    __tablename__ = "grievances"
    __table_args__ = (
        # "My grievances": a member's cases by last activity.
        sa.Index("ix_grievances_member_activity", "member_digest", "last_activity_at"),
        # The SLA sweep: open cases still owing a first response, by its due date, and open
        # cases whose missed decision date is not yet recorded, by that date.
        sa.Index(
            "ix_grievances_sweep_first_response",
            "is_open",
            "first_response_at",
            "first_response_due_at",
        ),
        sa.Index(
            "ix_grievances_sweep_resolution",
            "is_open",
            "resolution_breached_at",
            "resolution_due_at",
        ),
        # Every case page looks for duplicates merged into its case; few cases have one.
        sa.Index(
            "ix_grievances_merged_into",
            "merged_into_id",
            postgresql_where=sa.text("merged_into_id IS NOT NULL"),
            sqlite_where=sa.text("merged_into_id IS NOT NULL"),
        ),
        # A reviewer's open cases (the queue's "mine", the least-busy choice).
        sa.Index("ix_grievances_assignee_open", "assignee_id", "is_open"),
    )
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    # Whose case: a keyed index for the member's own list, and the user id
    # encrypted (see member_ref), never a plain foreign key to users.
    member_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # active_history: the dashboard's ledger (models/kpi_ledger.py) moves a case's counts by
    # its values before and after each flush, so the old value is loaded even when expired.
    channel: Mapped[str] = mapped_column(sa.String(20), active_history=True)
    category: Mapped[str] = mapped_column(sa.String(60), active_history=True)
    priority: Mapped[str] = mapped_column(sa.String(20), active_history=True)
    status: Mapped[str] = mapped_column(sa.String(30), active_history=True)
    is_open: Mapped[bool] = mapped_column(default=True, active_history=True)
    escalation_level: Mapped[int] = mapped_column(default=1)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("committees.id"), active_history=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    identity_hidden: Mapped[bool] = mapped_column(default=False)
    policy_version: Mapped[str] = mapped_column(sa.String(64))
    occurred_on: Mapped[date | None] = mapped_column(sa.Date)

    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, active_history=True)
    first_response_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, active_history=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(default=0)
    # What the SLA sweep has already done, so running it again changes nothing.
    due_soon_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_breached_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, active_history=True
    )
    resolution_breached_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, active_history=True
    )
    escalation_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many times the decision date was moved (see CaseExtension).
    extension_count: Mapped[int] = mapped_column(default=0)
    # Until when the member may appeal the latest decision.
    appeal_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the member appealed: the appeal's decision date is counted from then.
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, active_history=True)
    # A duplicate merged into another case of the same member points to the survivor.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("grievances.id"))
    if TYPE_CHECKING:
        has_merged: Mapped[bool]  # mapped below the class: it asks the table about itself
        policy_recorded_at: Mapped[datetime | None]  # likewise, from policy_versions
        has_attachments: Mapped[bool]  # likewise, below Attachment and CaseExtension
        has_extensions: Mapped[bool]
        has_links: Mapped[bool]  # below CaseLink

    # What the dashboard counts (services/kpi_marks.py writes them when the event happens;
    # models/kpi_ledger.py keeps the daily ledger in step on every flush). The day of filing in
    # the association's time zone; working hours to the first response and to the first
    # decision, and whether each kept its promise then (an appeal sets new dates later).
    filed_on: Mapped[date] = mapped_column(sa.Date, default=_utc_day, active_history=True)
    first_response_hours: Mapped[float | None] = mapped_column(sa.Float, active_history=True)
    first_response_met: Mapped[bool | None] = mapped_column(active_history=True)
    resolution_hours: Mapped[float | None] = mapped_column(sa.Float, active_history=True)
    resolution_met: Mapped[bool | None] = mapped_column(active_history=True)
    # When the case first climbed the ladder for a reason other than an appeal.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, active_history=True)
    # Filed within 90 days of another case of the same member and category (member digests
    # compared at filing; nothing is decrypted).
    is_repeat: Mapped[bool] = mapped_column(default=False, active_history=True)
    # Why it happened (a slug of root_causes.toml), tagged once the case is decided.
    root_cause: Mapped[str | None] = mapped_column(sa.String(60), active_history=True)
    root_cause_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    root_cause_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # A one-time token from the filing form: a resubmitted form finds its case.
    submission_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    # Not indexed: every case key changes at a rotation, and with an index on it no update
    # of the row can be HOT (PostgreSQL then rewrites every index of the table for each).
    # The rotation's own counts read the table once.
    dek_key_id: Mapped[str] = mapped_column(sa.String(16))
    dek_wrapped: Mapped[bytes] = mapped_column(sa.LargeBinary)
    version: Mapped[int] = mapped_column(default=1)

    subject = EncryptedText(required=True)
    narrative = EncryptedText(required=True)
    people_involved = EncryptedText()
    desired_outcome = EncryptedText()
    triage_reason = EncryptedText()
    acknowledgement = EncryptedText()
    # The five whys behind the root cause, one per line: case content, so encrypted.
    five_whys = EncryptedText()
    # The member's user id; bound to identity_hidden so flipping the flag in the
    # database cannot show a withheld member's name to the committee.
    member_ref = EncryptedText(required=True, bind=("identity_hidden",))

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    committee: Mapped[Committee] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="grievance", order_by="CaseEvent.at", cascade="all, delete-orphan"
    )
    messages: Mapped[list[Message]] = relationship(
        back_populates="grievance", order_by="Message.sent_at", cascade="all, delete-orphan"
    )
    notes: Mapped[list[InternalNote]] = relationship(
        back_populates="grievance", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="grievance", order_by="Attachment.uploaded_at", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="grievance", order_by="Decision.decided_at", cascade="all, delete-orphan"
    )
    extensions: Mapped[list[CaseExtension]] = relationship(
        back_populates="grievance", order_by="CaseExtension.at", cascade="all, delete-orphan"
    )
    merged_into: Mapped[Grievance | None] = relationship(remote_side=[id])

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @classmethod
    def new(
        cls, member: User | None, claimant_email: bytes | None = None, **values: Any
    ) -> Grievance:
        """A member's case with its own data key, wrapped by the active key-encryption key.

        Without a member the case was recorded for someone without an account (whose email
        index, if any, is `claimant_email`): it belongs to nobody until it is claimed."""
        case_id = uuid.uuid4()
        if member is not None:
            digest = member_digest(member.id)
        else:
            digest = unclaimed_digest(case_id, claimant_email)
        case = cls(id=case_id, member_digest=digest, **values)
        dek = new_data_key()
        case.dek_key_id, case.dek_wrapped = wrap_data_key(
            keys.current().ring, dek, case_aad(case.id, case.member_digest)
        )
        case._dek = dek
        case.member_ref = str(member.id) if member is not None else ""
        return case

    def hand_to(self, member: User) -> None:
        """Make this case `member`'s: the link and the data key's wrap are sealed anew
        (only the portal, holding the keys, can do this; a database writer cannot)."""
        dek = self.case_key()
        self.member_digest = member_digest(member.id)
        self.dek_key_id, self.dek_wrapped = wrap_data_key(
            keys.current().ring, dek, case_aad(self.id, self.member_digest)
        )
        self.member_ref = str(member.id)

    def case_key(self) -> bytes:
        dek: bytes | None = self.__dict__.get("_dek")
        if dek is None:
            dek = unwrap_data_key(
                keys.current().ring,
                self.dek_key_id,
                bytes(self.dek_wrapped),
                case_aad(self.id, self.member_digest),
            )
            self._dek = dek
        return dek

    def belongs_to(self, user: User) -> bool:
        return hmac.compare_digest(bytes(self.member_digest), member_digest(user.id))

    def member_user_id(self) -> int:
        """The member's user id; 0 while the case waits to be claimed."""
        return int(self.member_ref or 0)


def pending_due() -> sa.ColumnElement[datetime]:
    """When the promise now pending falls due: the first response until it is given, then
    the decision. The queue orders by exactly this expression, so its index serves it."""
    return sa.case(
        (Grievance.first_response_at.is_(None), Grievance.first_response_due_at),
        else_=Grievance.resolution_due_at,
    )


_MERGED = Grievance.__table__.alias("merged")  # a table, not an ORM alias: none configured yet
# Whether any case was merged into this one: a case page loads it with the case (undefer)
# and asks for the merged cases only when there are some, which is seldom.
Grievance.has_merged = sa.orm.column_property(
    sa.exists().where(_MERGED.c.merged_into_id == Grievance.id), deferred=True
)
# When the procedure the case is handled under was recorded: the member's case page names
# it, so it comes with the case (undefer) rather than in a query of its own.
Grievance.policy_recorded_at = sa.orm.column_property(
    sa.select(PolicyVersion.recorded_at)
    .where(PolicyVersion.version == Grievance.policy_version)
    .scalar_subquery(),
    deferred=True,
)


# A committee's open queue, due first: read in index order, a page of 25 reads 25 rows
# rather than sorting every open case of the committee (docs/decisions.md, "Where a page's
# time went"). Only open cases, and every column the queue filters and counts on, so the
# count of each deadline state reads the index alone, not a row of the table per open case
# ("The queue's counts from its index alone").
QUEUE_INDEX_COLUMNS = (
    "is_open",  # SQLite reads a column of its partial predicate from the row, not the index
    "status",
    "merged_into_id",
    "first_response_at",
    "first_response_due_at",
    "resolution_due_at",
    "due_soon_marked_at",
    "member_digest",
    "assignee_id",
    "priority",
    "category",
    "channel",
    "escalation_level",
)
sa.Index(
    "ix_grievances_committee_open_pending",
    Grievance.committee_id,
    # pending_due() as SQL text: PostgreSQL wants an expression in an index in parentheses.
    sa.text(
        "(CASE WHEN (first_response_at IS NULL) THEN first_response_due_at"
        " ELSE resolution_due_at END)"
    ),
    Grievance.id,
    *(Grievance.__table__.c[name] for name in QUEUE_INDEX_COLUMNS),
    # As the queue writes it (`is_open.is_(True)`), so both databases see the index serves it.
    postgresql_where=sa.text("is_open IS true"),
    sqlite_where=sa.text("is_open IS 1"),
)


class _CaseChild(Encrypted):
    grievance: Grievance

    def case_key(self) -> bytes:
        return self.grievance.case_key()


class CaseEvent(_CaseChild, Base):
    """One step on the timeline; `public` events are shown to the member."""

    __tablename__ = "case_events"
    __table_args__ = (sa.Index("ix_case_events_case_at", "grievance_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    # Whether the member sees this event; bound to the detail's ciphertext.
    public: Mapped[bool] = mapped_column(default=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(30))
    to_status: Mapped[str | None] = mapped_column(sa.String(30))
    detail = EncryptedText(bind=("public",))

    grievance: Mapped[Grievance] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Message(_CaseChild, Base):
    """A message between the member and the committee.

    The member's own messages carry no author id (the case's member wrote them),
    so a dump cannot join a case to the member through its messages."""

    __tablename__ = "messages"
    __table_args__ = (sa.Index("ix_messages_case_sent", "grievance_id", "sent_at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE")
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    from_member: Mapped[bool] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body = EncryptedText(required=True, bind=("from_member",))

    grievance: Mapped[Grievance] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


class InternalNote(_CaseChild, Base):
    """A note only the committee sees."""

    __tablename__ = "internal_notes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body = EncryptedText(required=True)

    grievance: Mapped[Grievance] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()


class Attachment(_CaseChild, Base):
    """An evidence file: encrypted on disk under a random name, described here."""

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    # Empty for the member's own files, like a message's author.
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    storage_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    # No checksum of the plaintext: it would let anyone holding a copy of a
    # document find who submitted it. The chunked AEAD format authenticates it.
    # Whether the member may list and download it; bound to the name's ciphertext.
    from_member: Mapped[bool] = mapped_column(default=True)
    filename = EncryptedText(required=True, bind=("from_member",))
    content_type = EncryptedText(required=True, bind=("from_member",))

    grievance: Mapped[Grievance] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()

    def content_aad(self) -> bytes:
        if self.id is None:
            self.id = uuid.uuid4()  # the file is bound to this row's id
        return f"attachments|content|{self.id}|1".encode()


class Decision(_CaseChild, Base):
    """The committee's decision at one escalation level."""

    __tablename__ = "decisions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int] = mapped_column()
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Decided by the grievance panel's vote (see PanelVote) rather than one person.
    by_panel: Mapped[bool] = mapped_column(default=False)
    outcome = EncryptedText(required=True)
    rationale = EncryptedText(required=True)
    remedy = EncryptedText()
    # The procedure clauses relied on: policy slugs, comma-separated.
    clauses = EncryptedText()

    grievance: Mapped[Grievance] = relationship(back_populates="decisions")
    decided_by: Mapped[User] = relationship()


class CaseExtension(_CaseChild, Base):
    """A chair moved the decision date; the member reads the reason."""

    __tablename__ = "case_extensions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    to_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason = EncryptedText(required=True)

    grievance: Mapped[Grievance] = relationship(back_populates="extensions")
    by: Mapped[User] = relationship()


# Whether the case has any files, any moved decision date: most have neither, so a case
# page loads these with the case (`RARE_CHILDREN`) and asks for the rows only when there
# are some (`settle_rare_children`), two statements fewer a view of most cases.
Grievance.has_attachments = sa.orm.column_property(
    sa.exists().where(Attachment.grievance_id == Grievance.id), deferred=True
)
Grievance.has_extensions = sa.orm.column_property(
    sa.exists().where(CaseExtension.grievance_id == Grievance.id), deferred=True
)
RARE_CHILDREN = (
    (Grievance.has_attachments, Grievance.attachments),
    (Grievance.has_extensions, Grievance.extensions),
)


def says_none(case: Grievance, flag: str) -> bool:
    """Whether the case was loaded with this `has_...` flag and it says there are none (an
    unloaded flag says nothing: reading it would be a query)."""
    return flag not in sa.inspect(case).unloaded and not getattr(case, flag)


def settle_rare_children(case: Grievance) -> None:
    """Give the case the empty collections its flags say it has none of, as loaded (no
    query when the page reads them); one it has some of loads when first read, in one
    statement. A collection the session holds already is left as it is."""
    unloaded = sa.inspect(case).unloaded
    for flag, children in RARE_CHILDREN:
        if children.key in unloaded and says_none(case, flag.key):
            set_committed_value(case, children.key, [])


class Recusal(Base):
    """Someone declared a conflict of interest on a case: they are kept out of it from then on."""

    __tablename__ = "case_recusals"
    __table_args__ = (sa.UniqueConstraint("grievance_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseLink(Base):
    """Two related cases, linked for the committee (the member does not see links)."""

    __tablename__ = "case_links"
    __table_args__ = (sa.UniqueConstraint("grievance_id", "linked_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    linked_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Whether the case is linked to any other: seldom, so the committee's case page loads this
# with the case and asks for the links only when there are some (services/linking.py).
Grievance.has_links = sa.orm.column_property(
    sa.exists().where(CaseLink.grievance_id == Grievance.id), deferred=True
)


class PanelSeat(Base):
    """A panel member seated on one case at one level of the ladder."""

    __tablename__ = "panel_seats"
    __table_args__ = (sa.UniqueConstraint("grievance_id", "level", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class PanelVote(_CaseChild, Base):
    """One panel member's vote on a case, with their reasons (a dissent when outvoted)."""

    __tablename__ = "panel_votes"
    __table_args__ = (sa.UniqueConstraint("grievance_id", "level", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome = EncryptedText(required=True)
    opinion = EncryptedText()

    grievance: Mapped[Grievance] = relationship()
    user: Mapped[User] = relationship()


class PartyIndex(Base):
    """Blind indexes of members named as parties, for conflict-of-interest checks."""

    __tablename__ = "party_indexes"
    __table_args__ = (sa.Index("ix_party_indexes_kind_digest", "kind", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))  # "email" or "member_number"
    digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32))

    grievance: Mapped[Grievance] = relationship()


class ReferenceCounter(Base):
    """The last case number handed out each year; numbers are never reused."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


def unclaimed_digest(case_id: uuid.UUID, email_digest: bytes | None) -> bytes:
    """The member digest of a case recorded for someone without an account.

    It binds the case to the claimant's email index, so a database writer who copies
    their own email index onto someone else's claimant row cannot make the claim check
    pass; and it matches no user's digest, so nobody sees the case until it is claimed."""
    email = bytes(email_digest).hex() if email_digest else "-"
    return blind_index(keys.current().index_root, "case-unclaimed", f"{case_id}|{email}")


class Claimant(_CaseChild, Base):
    """The person a case was recorded for when they had no account: their name and contact,
    encrypted, until they claim the case by registering with that email and the claim code
    the office gave them (derived from the case id, see services/claims.py)."""

    __tablename__ = "claimants"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    grievance_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grievances.id", ondelete="CASCADE"), unique=True
    )
    # A keyed index of the email (never the address itself), to find the case at registration.
    email_digest: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    full_name = EncryptedText(required=True)
    email = EncryptedText()
    phone = EncryptedText()

    grievance: Mapped[Grievance] = relationship()
