"""Filing a grievance, from the web or recorded by staff from another channel."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain import sla
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.domain.workflow import OPEN_STATUSES, Mover, Status
from portal.i18n import FALLBACK, _l, format_moment, translate, zone_city
from portal.models.committees import Committee
from portal.models.grievances import Grievance, PartyIndex, member_digest
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.security import keys
from portal.security.blind_index import blind_index
from portal.services import (
    audit,
    claims,
    evidence,
    kpi_marks,
    notify,
    recording,
    recusals,
    references,
    timeline,
)
from portal.services.access import require_role
from portal.services.accounts import require_confirmed
from portal.services.duties import chairs_of, require_casework
from portal.services.policies import record_policy_version
from portal.services.triage import triage
from portal.storage import EvidenceStore

WEB = "web"
STAFF_CHANNELS = {
    "phone": _l("Phone"),
    "email": _l("Email"),
    "letter": _l("Letter"),
    "in_person": _l("In person"),
}
CHANNEL_LABELS = {WEB: _l("Online"), **STAFF_CHANNELS}

MAX_SUBJECT = 200
MAX_TEXT = 20000
MIN_SEARCH = 3  # fewer characters would list half the membership


@dataclass
class Filing:
    """What the member (or staff on their behalf) told us."""

    category: str
    subject: str
    narrative: str
    people_involved: str = ""
    party_emails: list[str] = field(default_factory=list)
    party_member_numbers: list[str] = field(default_factory=list)
    occurred_on: date | None = None
    desired_outcome: str = ""
    hide_identity: bool = False
    channel: str = WEB
    submission_token: str | None = None
    uploads: list[evidence.Upload] = field(default_factory=list)
    # Only when staff record it: when it reached us, their own note, and who it is for
    # when that person has no account.
    received_at: datetime | None = None
    internal_note: str = ""
    claimant: claims.ClaimantDetails | None = None


def local_zone(member: User | None, policies: PolicySet) -> ZoneInfo:
    """The member's own time zone, else the association's."""
    if member is not None and member.timezone:
        return ZoneInfo(member.timezone)
    return policies.calendar.time_zone


def today_for(member: User, policies: PolicySet, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(local_zone(member, policies)).date()


def validate(filing: Filing, policies: PolicySet, today: date) -> None:
    """Rules on the content; one InvalidInput listing every refusal, each naming its field."""
    problems: list[tuple[str | None, str]] = []
    category = policies.categories.get(filing.category)
    if category is None:
        problems.append(("category", _l("Choose the kind of grievance from the list.")))
    if not filing.subject.strip():
        problems.append(("subject", _l("Give your grievance a short title.")))
    if len(filing.subject) > MAX_SUBJECT:
        problems.append(
            ("subject", _l("Keep the title under %(max)d characters.", max=MAX_SUBJECT))
        )
    if not filing.narrative.strip():
        problems.append(("narrative", _l("Tell us what happened.")))
    for name in ("narrative", "people_involved", "desired_outcome"):
        if len(getattr(filing, name)) > MAX_TEXT:
            problems.append((name, _l("Please keep this under %(max)d characters.", max=MAX_TEXT)))
    if filing.occurred_on and filing.occurred_on > today:
        problems.append(("occurred_on", _l("The date it happened cannot be in the future.")))
    if filing.hide_identity and category is not None and not category.allow_anonymous:
        problems.append(
            (
                "hide_identity",
                _l(
                    "For “%(category)s” the committee needs to know who you are, "
                    "so your identity cannot be hidden.",
                    category=category.label,
                ),
            )
        )
    if problems:
        raise InvalidInput.of(problems)


# How recent an open case of the same kind must be for "Add this to GRV-… instead?": a
# member writing again within a month is likely following up; after that, a new matter.
SIMILAR_WINDOW = timedelta(days=30)


def similar_open_case(
    session: Session, member: User, category: str, now: datetime | None = None
) -> Grievance | None:
    """The member's newest open case of this kind filed within SIMILAR_WINDOW, to offer
    adding to it instead of filing again."""
    since = (now or utcnow()) - SIMILAR_WINDOW
    return session.scalar(
        sa.select(Grievance)
        .where(
            Grievance.member_digest == member_digest(member.id),
            Grievance.category == category,
            Grievance.status.in_([s.value for s in OPEN_STATUSES]),
            Grievance.submitted_at >= since,
        )
        .order_by(Grievance.submitted_at.desc())
        .limit(1)
    )


def find_by_token(session: Session, token: str) -> Grievance | None:
    return session.scalar(sa.select(Grievance).where(Grievance.submission_token == token))


TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _already_sent(
    session: Session, actor: User, member: User | None, filing: Filing
) -> Grievance | None:
    """The case this very form already filed, if it was sent before."""
    token = filing.submission_token or ""
    if not TOKEN_RE.fullmatch(token):
        raise InvalidInput(_l("This form is out of date. Please start your grievance again."))
    existing = find_by_token(session, token)
    if existing is None:
        return None
    if not sent_for(existing, actor, member):
        raise InvalidInput(_l("This form is out of date. Please start your grievance again."))
    if (existing.subject, existing.narrative) != (filing.subject.strip(), filing.narrative.strip()):
        # Back, edit, send again: say so rather than silently keep the first version.
        raise InvalidInput(
            _l(
                "This form was already sent as %(ref)s. To tell us more, add it to "
                "%(ref)s from “My grievances”, or start a new grievance.",
                ref=existing.reference,
            )
        )
    return existing


def sent_for(case: Grievance, actor: User, member: User | None) -> bool:
    """Whether `case` is the one this sender filed for this member (or for nobody yet)."""
    if member is not None:
        return case.belongs_to(member)
    return case.recorded_by_id == actor.id and case.member_user_id() == 0


def _authorise(actor: User, member: User | None, filing: Filing) -> None:
    channel = filing.channel
    if member is None:
        require_casework(actor)
        if channel not in STAFF_CHANNELS:
            raise InvalidInput(_l("Choose how the grievance reached us."), "channel")
        if filing.claimant is None:
            raise InvalidInput(_l("Choose an active member."), "member")
        return
    if channel == WEB:
        if actor.id != member.id:
            raise PermissionDenied(_l("Only the member can file online for themselves."))
        require_role(actor, Role.MEMBER)
        # Staff recording for a member vouch for them; online, the address must be proven.
        require_confirmed(actor)
        return
    require_casework(actor)
    if channel not in STAFF_CHANNELS:
        raise InvalidInput(_l("Choose how the grievance reached us."), "channel")
    if actor.id == member.id:
        raise PermissionDenied(_l("Staff cannot record a grievance for themselves."))
    if not member.active or Role.MEMBER not in member.roles:
        raise InvalidInput(_l("Choose an active member."), "member")


def file_grievance(
    session: Session,
    actor: User,
    member: User | None,
    filing: Filing,
    policies: PolicySet,
    store: EvidenceStore,
    upload_rules: evidence.UploadRules,
    now: datetime | None = None,
    lang: str | None = None,
) -> Grievance:
    """Store the case, its evidence, first events and audit entry in one transaction; the
    acknowledgement is written in `lang` (else the association's default language).

    Staff may record for someone without an account (`member` None, `filing.claimant` set),
    give the time it was received (the clock starts then) and add an internal note."""
    now = now or utcnow()
    _authorise(actor, member, filing)
    if filing.submission_token:
        existing = _already_sent(session, actor, member, filing)
        if existing is not None:
            return existing  # the same form sent twice
    tz = local_zone(member, policies)
    validate(filing, policies, now.astimezone(tz).date())
    staff = filing.channel != WEB
    received = recording.check_received(filing.received_at if staff else None, now)
    recording.check_note(filing.internal_note)
    claimant = claims.check_details(filing.claimant) if member is None and filing.claimant else None
    checked = evidence.check_uploads(filing.uploads, upload_rules)

    category = policies.categories[filing.category]
    committee = session.scalar(sa.select(Committee).where(Committee.slug == category.committee))
    if committee is None:
        raise InvalidInput(
            _l(
                "We cannot take this kind of grievance right now: its committee is not set up. "
                "Please contact the association office."
            ),
            "category",
        )
    suggestion = triage(f"{filing.subject}\n{filing.narrative}", policies)
    priority = suggestion.priority_for(category.default_priority, policies)
    first_due, resolution_due = sla.due_dates(
        received, policies.priorities[priority], policies.calendar
    )

    case = Grievance.new(
        member=member,
        claimant_email=claims.email_index(claimant.email) if claimant and claimant.email else None,
        recorded_by=actor if staff else None,
        channel=filing.channel,
        category=category.slug,
        priority=priority,
        status=Status.SUBMITTED.value,
        committee=committee,
        identity_hidden=filing.hide_identity,
        policy_version=policies.version,
        occurred_on=filing.occurred_on,
        submitted_at=received,
        last_activity_at=now,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        submission_token=filing.submission_token,
    )
    case.subject = filing.subject.strip()
    case.narrative = filing.narrative.strip()
    case.people_involved = filing.people_involved.strip() or None
    case.desired_outcome = filing.desired_outcome.strip() or None
    case.triage_reason = suggestion.reason
    kpi_marks.filed(session, case, policies.calendar)
    session.add(case)
    if claimant is not None:
        claims.add_claimant(session, case, claimant)
    if staff:
        recording.add_internal_note(case, actor, filing.internal_note, now)
    parties = _index_parties(session, case, filing)
    channel = filing.channel.replace("_", " ")  # the record stays English, whoever files
    detail = "Filed online" if filing.channel == WEB else f"Recorded by staff ({channel})"
    by_member = member is not None and actor.id == member.id
    timeline.add_event(
        case,
        "filed",
        None if by_member else actor,
        detail=detail,
        to_status=Status.SUBMITTED,
        now=received,
    )
    evidence.store_uploads(session, store, case, actor, checked, from_member=True, now=now)
    # The number is taken once nothing the member could put right can fail (a full evidence
    # folder included): on PostgreSQL it is committed at once, and a later failure leaves a gap.
    case.reference = references.next_reference(session, now)
    name = member.full_name if member is not None else claimant.full_name if claimant else ""
    case.acknowledgement = acknowledgement_text(case, name, committee, policies, tz, lang)
    # Acknowledged as it is written (one INSERT, no UPDATE after it); its audit entries
    # still read filed, then acknowledged.
    case.acknowledged_at = now
    acknowledged = timeline.change_status(case, Status.ACKNOWLEDGED, Mover.SYSTEM, None, now=now)
    # record() flushes the case first, so its row is written before the head is locked.
    audit.record(
        session,
        None if by_member else actor,
        "case.filed",
        "grievance",
        case.id,
        {
            "reference": case.reference,
            "channel": filing.channel,
            "files": len(checked),
            **({"for": "person without an account"} if member is None else {}),
        },
        now=now,
        by_member=by_member,
    )
    timeline.audit_status(session, case, acknowledged, None, now=now)
    if suggestion.rules:
        _escalate_high_risk(session, case, policies, now)
    # A case naming (or filed by) every chair of its committee goes where someone may act;
    # the chairs free to act are told of it either way (found once for both).
    chairs = chairs_of(session, committee.id)
    free = recusals.who_chairs(session, case, chairs, filing=parties)
    recusals.hand_on(session, case, policies, None, now, chairs, free)
    notify.case_acknowledged(session, case, now)
    notify.new_case(session, case, now, free)
    record_policy_version(session, policies, now=now)
    session.flush()
    return case


def _escalate_high_risk(
    session: Session, case: Grievance, policies: PolicySet, now: datetime
) -> None:
    """The ladder says which level a high-risk case starts at; follow it."""
    level = next(
        (lv for lv in policies.ladder.ordered if "high_risk_keyword" in lv.entered_by), None
    )
    if level is None or level.number <= case.escalation_level:
        return
    before, case.escalation_level = case.escalation_level, level.number
    timeline.add_event(
        case,
        "escalated",
        None,
        public=False,
        detail=f"Escalated to level {level.number} ({level.title}): high-risk words",
        now=now,
    )
    audit.record(
        session,
        None,
        "case.escalated",
        "grievance",
        case.id,
        {"from": before, "to": level.number, "trigger": "high_risk_keyword"},
        now=now,
    )


def _index_parties(session: Session, case: Grievance, filing: Filing) -> set[tuple[str, bytes]]:
    """The blind indexes of the people the filing names, added; returns them (kind, digest)."""
    root = keys.current().index_root
    named = {
        (kind, blind_index(root, kind, value.strip()))
        for kind, values in (
            ("email", filing.party_emails),
            ("member_number", filing.party_member_numbers),
        )
        for value in values
        if value.strip()
    }
    for kind, digest in named:
        session.add(PartyIndex(grievance=case, kind=kind, digest=digest))
    return named


def when(moment: datetime, tz: ZoneInfo, language: str = FALLBACK) -> str:
    """A promised date, named with its time zone: "… at 12:53 (London time)"."""
    return translate(
        language,
        "%(moment)s (%(city)s time)",
        moment=format_moment(moment, tz, language),
        city=zone_city(tz, language),
    )


def acknowledgement_text(
    case: Grievance,
    member_name: str,
    committee: Committee,
    policies: PolicySet,
    tz: ZoneInfo,
    lang: str | None = None,
) -> str:
    """The policy's acknowledgement in `lang` (else the default language), filled in; kept on
    the case as it was promised."""
    # The committee row holds the default-language name; the policy has every language's.
    spec = policies.committees.get(committee.slug)
    written_in = lang or policies.languages.default
    _subject, body = policies.canned_responses["acknowledgement"].render(
        lang,
        member_name=member_name,
        reference=case.reference,
        due_date=when(case.first_response_due_at, tz, written_in),
        decision_date=when(case.resolution_due_at, tz, written_in),
        category=policies.categories[case.category].label.in_language(lang),
        committee=spec.name.in_language(lang) if spec else committee.name,
    )
    return body.strip()


def member_for_intake(session: Session, actor: User, member_id: int | None) -> User | None:
    """The active member staff are recording a grievance for, if that is who `member_id` is."""
    require_casework(actor)
    if not member_id or not 0 < member_id < 2**31:
        return None
    member = session.get(User, member_id)
    if member is None or not member.active or Role.MEMBER not in member.roles:
        return None
    return member


def search_members(session: Session, actor: User, query: str, limit: int = 20) -> list[User]:
    """Members matching a name, email or member number, for staff intake."""
    require_casework(actor)
    query = query.strip().casefold()
    if len(query) < MIN_SEARCH:
        return []
    from portal.models.users import UserRole

    return list(
        session.scalars(
            sa.select(User)
            .where(
                User.active.is_(True),
                User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == Role.MEMBER)),
                # autoescape: a "%" or "_" typed is that character, not a LIKE wildcard.
                sa.or_(
                    sa.func.lower(User.full_name).contains(query, autoescape=True),
                    User.email_key.contains(query, autoescape=True),
                    sa.func.lower(User.member_number).contains(query, autoescape=True),
                ),
            )
            .order_by(User.full_name)
            .limit(limit)
        )
    )
