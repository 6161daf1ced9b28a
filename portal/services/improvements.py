""" "You said, we did": a chair publishes what their committee changed, and who should hear.

A note is written in the chair's language (title and text required) with the other language
optional, and linked to categories the chair's committee handles. Publishing tells every
active member who filed a case in one of those categories: a notification in the portal,
and a mail when they chose mail for everything. Members are found without decrypting a
case: the cases' member digests of those categories are compared with a keyed digest of
each member's id (an HMAC each), so the fan-out costs one pass over the members.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.errors import InvalidInput, NotFound, PermissionDenied
from portal.domain.roles import Role
from portal.i18n import LANGUAGES, _l
from portal.models.grievances import Grievance, member_digest
from portal.models.improvements import Improvement, ImprovementCategory
from portal.models.users import User, UserRole
from portal.policies.types import PolicySet
from portal.services import audit, notifications, outbox
from portal.services.access import require_role
from portal.services.survey_results import chaired

MAX_TITLE = 200
MAX_BODY = 10_000
PAGE = 20
MEMBER_BATCH = 500


@dataclass
class Note:
    """What the chair wrote: per language code, a title and a text."""

    language: str
    categories: list[str]
    titles: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)


def categories_for(actor: User, session: Session, policies: PolicySet) -> list[str]:
    """The categories of the committees `actor` chairs, in the policy's order."""
    slugs = {c.slug for c in chaired(session, actor)}
    return [slug for slug, c in policies.categories.items() if c.committee in slugs]


def _check(note: Note, allowed: list[str], policies: PolicySet) -> list[str]:
    problems: list[tuple[str | None, str]] = []
    chosen = [c for c in dict.fromkeys(note.categories)]
    if not chosen:
        problems.append(("categories", _l("Tick at least one kind of grievance.")))
    elif any(c not in allowed for c in chosen):
        problems.append(("categories", _l("Choose among the kinds shown.")))
    elif len({policies.categories[c].committee for c in chosen}) > 1:
        problems.append(("categories", _l("Choose kinds your one committee handles.")))
    for lang in LANGUAGES:
        title = note.titles.get(lang, "").strip()
        body = note.bodies.get(lang, "").strip()
        required = lang == note.language
        if required and not title:
            problems.append((f"title_{lang}", _l("Give the note a title.")))
        if required and not body:
            problems.append((f"body_{lang}", _l("Say what changed.")))
        if not required and bool(title) != bool(body):
            field_name = f"body_{lang}" if title else f"title_{lang}"
            problems.append(
                (field_name, _l("Give both a title and a text in this language, or neither."))
            )
        if len(title) > MAX_TITLE:
            problems.append(
                (f"title_{lang}", _l("Keep the title under %(max)d characters.", max=MAX_TITLE))
            )
        if len(body) > MAX_BODY:
            problems.append(
                (f"body_{lang}", _l("Please keep this under %(max)d characters.", max=MAX_BODY))
            )
    if problems:
        raise InvalidInput.of(problems)
    return [c for c in policies.categories if c in chosen]


def publish(
    session: Session,
    actor: User,
    note: Note,
    policies: PolicySet,
    now: datetime | None = None,
) -> tuple[Improvement, int]:
    """Publish the note; returns it and how many members were told."""
    require_role(actor, Role.CHAIR)
    allowed = categories_for(actor, session, policies)
    if not allowed:
        raise PermissionDenied(_l("Only a committee's chair publishes what it changed."))
    if note.language not in LANGUAGES:
        raise InvalidInput(_l("Choose one of the languages offered."))
    chosen = _check(note, allowed, policies)
    committee = next(
        c for c in chaired(session, actor) if c.slug == policies.categories[chosen[0]].committee
    )
    now = now or utcnow()
    row = Improvement(
        id=uuid.uuid4(), committee=committee, author=actor, language=note.language, published_at=now
    )
    for lang in LANGUAGES:
        title, body = note.titles.get(lang, "").strip(), note.bodies.get(lang, "").strip()
        setattr(row, f"title_{lang}", title or None)
        setattr(row, f"body_{lang}", body or None)
    row.category_rows = [ImprovementCategory(category=c) for c in chosen]
    session.add(row)
    session.flush()
    told = announce(session, row, now)
    audit.record(
        session,
        actor,
        "improvement.published",
        "improvement",
        row.id,
        {"categories": chosen, "told": told},
        now=now,
    )
    return row, told


def members_with_cases_in(session: Session, categories: list[str]) -> list[User]:
    """Active members who filed a case of one of `categories` (found by digest, see above)."""
    digests = {
        bytes(d)
        for d in session.scalars(
            sa.select(Grievance.member_digest).where(Grievance.category.in_(categories)).distinct()
        )
    }
    if not digests:
        return []
    found: list[User] = []
    last = 0
    while True:
        batch = list(
            session.scalars(
                sa.select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(User.active.is_(True), UserRole.role == Role.MEMBER.value, User.id > last)
                .order_by(User.id)
                .limit(MEMBER_BATCH)
            )
        )
        if not batch:
            return found
        found.extend(u for u in batch if member_digest(u.id) in digests)
        last = batch[-1].id


def announce(session: Session, row: Improvement, now: datetime) -> int:
    context = {
        "improvement": str(row.id),
        "committee": row.committee.slug,
        "original": row.language,
        "title_en": row.title_en,
        "title_ko": row.title_ko,
    }
    members = members_with_cases_in(session, row.categories)
    for member in members:
        notifications.add(session, member, "improvement_published", context, now)
        if member.mail_preference == notifications.MAIL_ALL:
            outbox.enqueue(
                session,
                to=member,
                template="improvement_published",
                context=context,
                language=member.language,
                now=now,
            )
    return len(members)


def published(
    session: Session, category: str | None = None, before: datetime | None = None
) -> tuple[list[Improvement], bool]:
    """The notes newest first (optionally of one category, older than `before`), and
    whether there are more."""
    stmt = sa.select(Improvement)
    if category:
        stmt = stmt.where(
            Improvement.id.in_(
                sa.select(ImprovementCategory.improvement_id).where(
                    ImprovementCategory.category == category
                )
            )
        )
    if before is not None:
        stmt = stmt.where(Improvement.published_at < before)
    rows = list(
        session.scalars(
            stmt.order_by(Improvement.published_at.desc(), Improvement.id).limit(PAGE + 1)
        )
    )
    return rows[:PAGE], len(rows) > PAGE


def get(session: Session, improvement_id: str) -> Improvement:
    try:
        key = uuid.UUID(improvement_id)
    except ValueError:
        raise NotFound(_l("We could not find that note.")) from None
    row = session.get(Improvement, key)
    if row is None:
        raise NotFound(_l("We could not find that note."))
    return row
