"""Conflicts of interest: nobody judges a case they filed, are named in, or stepped back from.

A person is conflicted on a case when
- they filed it (the case's member digest is theirs),
- the member named them as a party (a blind index of their email or member number
  stored at filing matches theirs), or
- they declared a conflict on it (a Recusal row).

A conflicted person is kept out of the case everywhere: `excluded_clause` filters the
queue, counts and searches in SQL; `is_conflicted` guards a single case; `conflicted_ids`
says which of several people are. Declaring a conflict, and what happens to a case whose
chairs all are, is services/recusals.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from portal.models.grievances import Grievance, PartyIndex, Recusal, member_digest
from portal.models.users import User
from portal.security import keys
from portal.security.blind_index import blind_index


def _digests(user: User) -> list[tuple[str, bytes]]:
    root = keys.current().index_root
    found = [("email", blind_index(root, "email", user.email))]
    if user.member_number:
        found.append(("member_number", blind_index(root, "member_number", user.member_number)))
    return found


def _named_clause(user: User, case_id: ColumnElement[object]) -> ColumnElement[bool]:
    return sa.exists().where(
        PartyIndex.grievance_id == case_id,
        sa.or_(*(sa.and_(PartyIndex.kind == k, PartyIndex.digest == d) for k, d in _digests(user))),
    )


def _recused_clause(user: User, case_id: ColumnElement[object]) -> ColumnElement[bool]:
    return sa.exists().where(Recusal.grievance_id == case_id, Recusal.user_id == user.id)


def excluded_clause(user: User) -> ColumnElement[bool]:
    """SQL true for the grievances `user` is conflicted on; negate it to filter lists and counts."""
    return sa.or_(
        Grievance.member_digest == member_digest(user.id),
        _named_clause(user, Grievance.id),
        _recused_clause(user, Grievance.id),
    )


def is_conflicted(session: Session, user: User, case: Grievance) -> bool:
    if case.belongs_to(user):
        return True
    return bool(session.scalar(sa.select(named_or_recused(user, case))))


def named_or_recused(user: User, case: Grievance) -> ColumnElement[bool]:
    """SQL true when `user` is named in `case` or stepped back from it (the conflicts that
    `case.belongs_to` does not tell), to ask beside other questions in one statement."""
    case_id = sa.literal(case.id, sa.Uuid)
    return sa.or_(_named_clause(user, case_id), _recused_clause(user, case_id))


def conflicted_at_filing(
    users: list[User], case: Grievance, named: set[tuple[str, bytes]]
) -> set[int]:
    """`conflicted_ids` for a case this transaction is filing, without a query: its parties
    are `named` as indexed (kind, digest), and nobody can have stepped back from it yet."""
    return {u.id for u in users if case.belongs_to(u) or not named.isdisjoint(_digests(u))}


def conflicted_ids(session: Session, users: list[User], case: Grievance) -> set[int]:
    """Which of `users` are conflicted on `case` (for assignment choices and panels), in one
    query however many people are asked about: the case's named parties and its recusals
    by any of them."""
    if not users:
        return set()
    found = {u.id for u in users if case.belongs_to(u)}
    owners: dict[tuple[str, bytes], set[int]] = {}
    for user in users:
        for key in _digests(user):
            owners.setdefault(key, set()).add(user.id)
    named = sa.select(
        PartyIndex.kind, PartyIndex.digest, sa.cast(sa.null(), Recusal.user_id.type)
    ).where(PartyIndex.grievance_id == case.id)
    recused = sa.select(
        sa.cast(sa.null(), PartyIndex.kind.type),
        sa.cast(sa.null(), PartyIndex.digest.type),
        Recusal.user_id,
    ).where(Recusal.grievance_id == case.id, Recusal.user_id.in_([u.id for u in users]))
    for kind, digest, user_id in session.execute(sa.union_all(named, recused)):
        if user_id is not None:
            found.add(user_id)
        else:
            found |= owners.get((kind, bytes(digest)), set())
    return found
