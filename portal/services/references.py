"""Public case references: GRV-YYYY-NNNNNN, unique and never reused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.db import insert_for
from portal.models.grievances import ReferenceCounter


def next_reference(session: Session, now: datetime) -> str:
    """Take the next number of the year, in one statement (the year's first filing makes
    its row). The upsert locks the year's row until commit, so concurrent filings queue
    rather than share a number. A filing that rolls back returns its number with it; no
    one ever saw it, and a committed number is never handed out again."""
    year = now.year
    taken = insert_for(session)(ReferenceCounter).values(year=year, last=1)
    number = session.execute(
        taken.on_conflict_do_update(
            index_elements=["year"], set_={"last": ReferenceCounter.last + 1}
        ).returning(ReferenceCounter.last)
    ).scalar_one()
    return f"GRV-{year}-{number:06d}"
