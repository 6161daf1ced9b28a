"""One seeded grievance and everything written about it, as the portal's services write it.

`make_chunk` runs in a worker process: for each case it plays a story from filing to
wherever "now" stops it (assigned, answered, investigated, paused for the member, decided,
appealed, closed, withdrawn, reopened), with the timeline events, messages, notes, files,
decision, panel seats and votes, party indexes and audit entries the services would have
written at each step. The rows are built with the portal's own models and encryption (the
`EncryptedText` descriptors, `Grievance.new`, blind indexes, file encryption, SLA maths), then
handed back as plain column dicts for bulk inserts. Audit entries come back without id or
hash: the parent links them into the chain in order (see bench/seed.py).

Missed dates are recorded the way the SLA sweep would have recorded them, one climb per
missed promise, so the first `flask sla sweep` after seeding does a minute's work, not two
years' worth.
"""

from __future__ import annotations

import io
import json
import random
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from bench import seed_texts as texts
from portal.domain import sla
from portal.models.encrypted import EncryptedText
from portal.models.grievances import (
    Attachment,
    CaseEvent,
    Grievance,
    Message,
    PartyIndex,
)
from portal.policies.types import PolicySet
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.security.filecrypt import encrypt_stream
from portal.services import intake
from portal.services.triage import triage
from portal.storage import EvidenceStore

DAY = timedelta(days=1)
CASE_MEMBER = "case-member"  # as portal.services.audit records the member acting on their case
SWEEP_DELAY = timedelta(minutes=1)  # the sweep runs every minute and records a miss then


@dataclass(frozen=True)
class Staff:
    id: int
    name: str


@dataclass(frozen=True)
class World:
    """What every story needs, built once by the parent and inherited by the workers."""

    policies: PolicySet
    now: datetime
    committees: dict[str, tuple[int, str]]  # slug -> (id, name)
    chairs: dict[str, list[Staff]]
    reviewers: dict[str, list[Staff]]
    panel: list[Staff]
    staff_emails: list[str]
    evidence_dir: str
    category_weights: dict[str, float]


@dataclass(frozen=True)
class Spec:
    """What the parent decides for a case: when, its number, whose, and whether it stays open."""

    submitted_at: datetime
    reference: str
    member_id: int
    member_name: str
    keep_open: bool = False


@dataclass
class Chunk:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    audit: list[tuple[datetime, int | None, str, str, str, str]] = field(default_factory=list)
    # (reference, committee slug, open, conflicted staff?) for the bench's manifest
    cases: list[tuple[str, str, bool, bool, int]] = field(default_factory=list)

    def add(self, obj: Any) -> None:
        model = obj.model if isinstance(obj, Row) else type(obj)
        self.rows.setdefault(model.__tablename__, []).append(row_of(obj))


_COLUMNS: dict[type, list[tuple[str, sa.Column[Any]]]] = {}


def row_of(obj: Any) -> dict[str, Any]:
    """The column values of a model instance that was never added to a session, with the
    column defaults a flush would have applied."""
    model = obj.model if isinstance(obj, Row) else type(obj)
    values = obj.values if isinstance(obj, Row) else obj.__dict__
    if model not in _COLUMNS:
        # Integer keys are the database's to number (panel seats, party indexes); a property
        # that is a query (Grievance.has_merged) is no column.
        _COLUMNS[model] = [
            (attr.key, column)
            for attr in sa.inspect(model).column_attrs
            if isinstance(column := attr.columns[0], sa.Column)
            and not (column.primary_key and isinstance(column.type, sa.Integer))
        ]
    row: dict[str, Any] = {}
    for key, column in _COLUMNS[model]:
        value = values.get(key)
        if value is None and column.default is not None:
            default = column.default
            value = default.arg if default.is_scalar else default.arg(None)  # type: ignore[attr-defined]
        row[column.name] = value
    return row


class Row:
    """A row of a case's table built without the ORM (whose instance set-up would cost more
    than the encryption; these rows never meet a session). Its encrypted fields are sealed by
    the model's own `EncryptedText` descriptors, with the same associated data and the case's
    data key, so the portal reads them back as if its services had written them."""

    def __init__(self, model: type, case: Grievance, **values: Any) -> None:
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "case", case)
        object.__setattr__(self, "__tablename__", model.__tablename__)
        object.__setattr__(self, "values", {"id": uuid.uuid4(), **values})

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        field = getattr(self.model, name, None)
        if isinstance(field, EncryptedText):
            field.__set__(self, value)  # type: ignore[arg-type]
        else:
            self.values[name] = value

    def case_key(self) -> bytes:
        return self.case.case_key()

    def content_aad(self) -> bytes:
        return Attachment.content_aad(self)  # type: ignore[arg-type]


_TRIAGED: dict[tuple[str, tuple[str, ...]], Any] = {}


def _triage(subject: str, middle: tuple[str, ...], policies: PolicySet) -> Any:
    """triage() of a case's words; the date in the first sentence names no category, so the
    answer for the same subject and fragments is reused (one policy set per process)."""
    key = (subject, middle)
    if key not in _TRIAGED:
        _TRIAGED[key] = triage(f"{subject}\n{' '.join(middle)}", policies)
    return _TRIAGED[key]


def _when(rng: random.Random, low: float, high: float) -> timedelta:
    """A duration between `low` and `high` days, most of them short (a log-uniform spread)."""
    return timedelta(days=low * (high / low) ** rng.random())


class Story:
    """One case being written, step by step, at the moments its story happens."""

    def __init__(self, world: World, spec: Spec, rng: random.Random, out: Chunk) -> None:
        self.w, self.spec, self.rng, self.out = world, spec, rng, out
        self.policies = world.policies
        self.calendar = world.policies.calendar
        self.events: list[CaseEvent] = []
        self.last_at = spec.submitted_at
        self.conflicted = False

    # --- writing -------------------------------------------------------------------------

    def audit(
        self, at: datetime, actor: int | None, action: str, detail: dict[str, Any] | None = None,
        *, by_member: bool = False, object_type: str = "grievance", object_id: str = "",
    ) -> None:  # fmt: skip
        body = dict(detail or {})
        if by_member:
            body["actor"] = CASE_MEMBER
        self.out.audit.append(
            (
                at.astimezone(UTC).replace(microsecond=0),
                None if by_member else actor,
                action,
                object_type,
                object_id or str(self.case.id),
                json.dumps(body, sort_keys=True, separators=(",", ":")),
            )
        )

    def event(
        self, at: datetime, kind: str, actor: int | None, detail: str | None, *,
        public: bool = True, from_status: str | None = None, to_status: str | None = None,
    ) -> None:  # fmt: skip
        if at <= self.last_at:
            at = self.last_at + timedelta(microseconds=1)  # as timeline.add_event orders them
        event = Row(
            CaseEvent, self.case,
            kind=kind, actor_id=actor, public=public, from_status=from_status,
            to_status=to_status, at=at, grievance_id=self.case.id,
        )  # fmt: skip
        if detail is not None:
            event.detail = detail
        self.events.append(event)
        self.last_at = at
        self.case.last_activity_at = at

    def move(
        self, at: datetime, target: str, actor: int | None, *, detail: str | None = None,
        by_member: bool = False,
    ) -> None:  # fmt: skip
        before = self.case.status
        self.case.status = target
        self.case.is_open = target not in ("resolved", "closed", "withdrawn")
        self.event(at, "status", actor, detail, from_status=before, to_status=target)
        self.audit(at, actor, "case.status", {"from": before, "to": target}, by_member=by_member)

    def message(self, at: datetime, author: int | None, body: str) -> None:
        msg = Row(
            Message,
            self.case,
            author_id=author,
            from_member=author is None,
            sent_at=at,
            grievance_id=self.case.id,
        )
        msg.body = body
        self.out.add(msg)

    # --- the story -----------------------------------------------------------------------

    def file(self) -> Grievance:
        w, rng, spec = self.w, self.rng, self.spec
        slug = rng.choices(list(w.category_weights), weights=list(w.category_weights.values()))[0]
        category = self.policies.categories[slug]
        committee_id, committee_name = w.committees[category.committee]
        self.committee = category.committee
        subject = texts.subject(rng, slug)
        when = (spec.submitted_at - _when(rng, 0.5, 40)).date()
        middle = texts.middle(rng)
        narrative = texts.narrative(rng, when.strftime("%d %B %Y"), middle)
        suggestion = _triage(subject, middle, self.policies)
        priority = suggestion.priority_for(category.default_priority, self.policies)
        if rng.random() < 0.05:
            priority = self.policies.more_urgent(priority, "high")
        t0 = spec.submitted_at
        first_due, resolution_due = sla.due_dates(
            t0, self.policies.priorities[priority], self.calendar
        )
        staff_channel = rng.random() < 0.12
        channel = rng.choice(list(intake.STAFF_CHANNELS)) if staff_channel else intake.WEB
        recorder = rng.choice(w.reviewers[self.committee]) if staff_channel else None
        case = Grievance.new(
            member=SimpleNamespace(id=spec.member_id),
            reference=spec.reference,
            recorded_by_id=recorder.id if recorder else None,
            channel=channel,
            category=slug,
            priority=priority,
            status="submitted",
            is_open=True,
            escalation_level=1,
            committee_id=committee_id,
            identity_hidden=category.allow_anonymous and rng.random() < 0.08,
            policy_version=self.policies.version,
            occurred_on=when if rng.random() < 0.8 else None,
            submitted_at=t0,
            last_activity_at=t0,
            first_response_due_at=first_due,
            resolution_due_at=resolution_due,
            submission_token=None if staff_channel else secrets.token_urlsafe(24),
            paused_seconds=0,
            extension_count=0,
            version=1,
        )
        self.case = case
        case.subject = subject
        case.narrative = narrative
        case.people_involved = texts.person(rng) if rng.random() < 0.35 else None
        case.desired_outcome = rng.choice(texts.OUTCOMES) if rng.random() < 0.7 else None
        case.triage_reason = suggestion.reason
        tz = self.calendar.time_zone
        committee = SimpleNamespace(slug=category.committee, name=committee_name)
        case.acknowledgement = intake.acknowledgement_text(
            case,
            spec.member_name,
            committee,
            self.policies,
            tz,  # type: ignore[arg-type]
        )
        self._parties()
        files = self._evidence(t0) if rng.random() < 0.12 else 0
        detail = (
            "Filed online" if not recorder else f"Recorded by staff ({channel.replace('_', ' ')})"
        )
        self.event(t0, "filed", recorder.id if recorder else None, detail, to_status="submitted")
        self.audit(
            t0,
            recorder.id if recorder else None,
            "case.filed",
            {"reference": spec.reference, "channel": channel, "files": files},
            by_member=recorder is None,
        )
        case.acknowledged_at = t0
        self.move(t0, "acknowledged", None)
        if suggestion.rules:
            level = next(
                (lv for lv in self.policies.ladder.ordered if "high_risk_keyword" in lv.entered_by),
                None,
            )
            if level is not None and level.number > case.escalation_level:
                before, case.escalation_level = case.escalation_level, level.number
                self.event(
                    t0, "escalated", None,
                    f"Escalated to level {level.number} ({level.title}): high-risk words",
                    public=False,
                )  # fmt: skip
                self.audit(
                    t0, None, "case.escalated",
                    {"from": before, "to": level.number, "trigger": "high_risk_keyword"},
                )  # fmt: skip
        return case

    def _parties(self) -> None:
        root = keys.current().index_root
        if self.rng.random() < 0.10:
            emails = {f"member{self.rng.randint(1, 999999):06d}@bench.example"}
            if self.rng.random() < 0.05:  # now and then a party is one of the staff
                emails.add(self.rng.choice(self.w.staff_emails))
                self.conflicted = True
            for email in emails:
                self.out.add(
                    PartyIndex(
                        grievance_id=self.case.id,
                        kind="email",
                        digest=blind_index(root, "email", email),
                    )
                )

    def _evidence(self, at: datetime) -> int:
        store = EvidenceStore(__import__("pathlib").Path(self.w.evidence_dir))
        content = (
            texts.narrative(self.rng, "the day", texts.middle(self.rng)) + "\n"
        ).encode() * self.rng.randint(4, 60)
        attachment = Row(
            Attachment, self.case,
            uploaded_by_id=None, uploaded_at=at, storage_id=store.new_id(), from_member=True,
            size=0, grievance_id=self.case.id,
        )  # fmt: skip
        attachment.filename = self.rng.choice(["statement.txt", "emails.txt", "notes.txt"])
        attachment.content_type = "text/plain"
        path = store.path_of(attachment.storage_id)
        store.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.parent.mkdir(exist_ok=True, mode=0o700)  # as the portal's store makes them
        with open(path, "xb") as dest:
            attachment.size = encrypt_stream(
                self.case.case_key(), attachment.content_aad(), io.BytesIO(content), dest
            )
        self.out.add(attachment)
        return 1
