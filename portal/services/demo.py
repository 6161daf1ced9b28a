"""The demo association: committees from the policy, and one account per seat."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.domain.roles import Role, duties_clash
from portal.models.committees import Committee, CommitteeMembership, Seat
from portal.models.users import User
from portal.policies.types import PolicySet
from portal.security.passwords import seal, unsealed_hash
from portal.services import audit
from portal.services.accounts import normalise_email

# The demo chairs and reviewers sit on the committees the default policy names.
COMMITTEE_SLUGS = ("ethics", "member-services", "governance")

MEMBER_NAMES = [
    "Amara Okafor",
    "Ben Hartley",
    "Chloé Martin",
    "Dae-jung Park",
    "Elena Rossi",
    "Farid Haddad",
    "Grace O'Neill",
    "Hiroshi Tanaka",
    "Ingrid Larsen",
    "Jamal Reed",
    "Kateryna Shevchenko",
    "Liam Byrne",
]


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    email: str
    name: str
    password: str
    committee: str | None = None
    member_number: str | None = None


def demo_accounts() -> list[DemoAccount]:
    accounts = [
        DemoAccount(Role.ADMIN, "admin@demo.example", "Alex Morgan", "administrator-demo-portal"),
        DemoAccount(Role.AUDITOR, "auditor@demo.example", "Priya Shah", "auditor-demo-portal"),
    ]
    chairs = ["Margaret Chen", "Samuel Adeyemi", "Sofia Lindqvist"]
    for slug, name in zip(COMMITTEE_SLUGS, chairs, strict=True):
        accounts.append(
            DemoAccount(Role.CHAIR, f"chair.{slug}@demo.example", name, "chair-demo-portal", slug)
        )
    reviewers = [
        ("ethics", "Tom Walsh"),
        ("ethics", "Aisha Karim"),
        ("member-services", "Noah Fischer"),
        ("member-services", "Yuna Kim"),
        ("governance", "Daniel Costa"),
    ]
    for i, (slug, name) in enumerate(reviewers, start=1):
        accounts.append(
            DemoAccount(
                Role.REVIEWER, f"reviewer{i}@demo.example", name, "reviewer-demo-portal", slug
            )
        )
    # The board's grievance panel: board members who sit on no committee.
    for i, name in enumerate(["Helen Okoro", "Marcus Webb", "Ji-woo Han"], start=1):
        accounts.append(
            DemoAccount(Role.PANEL, f"panel{i}@demo.example", name, "panel-demo-portal")
        )
    for i, name in enumerate(MEMBER_NAMES, start=1):
        accounts.append(
            DemoAccount(
                Role.MEMBER,
                f"member{i:02d}@demo.example",
                name,
                "member-demo-portal",
                member_number=f"M-{10000 + i}",
            )
        )
    return accounts


def is_empty(session: Session) -> bool:
    return not session.scalar(sa.select(sa.func.count()).select_from(User))


def seed(session: Session, policies: PolicySet) -> list[DemoAccount]:
    """Create the demo association in an empty database; flushes, never commits."""
    from portal.services.committees import sync_from_policy

    sync_from_policy(session, policies)
    committees = {c.slug: c for c in session.scalars(sa.select(Committee))}
    accounts = demo_accounts()
    now = utcnow()
    hashes: dict[str, str] = {}
    sealed: list[tuple[User, str]] = []
    for account in accounts:
        # The demo obeys the separation of duties the admin pages enforce.
        if duties_clash({account.role}, seated=account.committee is not None):
            raise ValueError(f"demo account {account.email} mixes oversight and casework")
        email, key = normalise_email(account.email)
        if account.password not in hashes:
            hashes[account.password] = unsealed_hash(account.password)
        user = User(
            email=email,
            email_key=key,
            full_name=account.name,
            member_number=account.member_number,
            email_confirmed_at=now,  # demo addresses receive no mail to confirm
        )
        user.set_roles({account.role})
        session.add(user)
        sealed.append((user, hashes[account.password]))
        if account.committee:
            seat = Seat.CHAIR if account.role is Role.CHAIR else Seat.REVIEWER
            session.add(
                CommitteeMembership(
                    committee=committees[account.committee], user=user, seat=seat.value
                )
            )
    session.flush()
    for user, argon2_hash in sealed:  # sealed to each account's row, which has its id now
        user.password_hash = seal(argon2_hash, user)
    audit.record(session, None, "demo.seeded", "system", "demo", {"accounts": len(accounts)})
    return accounts


def existing_demo_accounts(session: Session) -> list[DemoAccount]:
    emails = set(session.scalars(sa.select(User.email_key)))
    return [a for a in demo_accounts() if a.email in emails]


def seed_cases(session: Session, policies: PolicySet, store, rules) -> int:  # type: ignore[no-untyped-def]
    """The demo grievances, worked through every state (see services/demo_cases.py), and
    the surveys and "you said, we did" note that follow decisions (demo_surveys.py)."""
    from portal.services.demo_cases import Demo
    from portal.services.demo_cases import seed_cases as seed_stories
    from portal.services.demo_surveys import seed_surveys

    filed = seed_stories(session, policies, store, rules)
    return filed + seed_surveys(Demo(session, policies), store, rules)
