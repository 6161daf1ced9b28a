"""Public case references: GRV-YYYY-NNNNNN, unique and never reused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.db import at_once, insert_for
from portal.models.grievances import ReferenceCounter


def next_reference(session: Session, now: datetime) -> str:
    """Take the next number of the year, in one statement (the year's first filing makes
    its row). The upsert locks the year's row, so concurrent filings queue for the moment
    it takes rather than share a number. On PostgreSQL the number is committed at once
    (`db.at_once`): a filing that fails after taking it leaves its number unused, a gap no
    one was shown, and a number is never handed out twice."""
    year = now.year
    taken = insert_for(session)(ReferenceCounter).values(year=year, last=1)
    # The case being filed is not written yet (it has no reference until this returns).
    with session.no_autoflush, at_once(session) as writer:
        number = writer.execute(
            taken.on_conflict_do_update(
                index_elements=["year"], set_={"last": ReferenceCounter.last + 1}
            ).returning(ReferenceCounter.last)
        ).scalar_one()
    return f"GRV-{year}-{number:06d}"
