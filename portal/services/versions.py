"""Two people working on one case: the second to save is told what changed, nothing is lost.

Every form of the committee's case page carries the case's `version` (the counter
SQLAlchemy raises on each update of the grievance row, `version_id_col`) and the moment the
page was shown. A change first locks the row (`casefile.committee_case(for_update=True)`), so
a second change made at the same time waits for the first to commit and then reads the new
version; `check` refuses it when that is not the version the person was looking at, and the
web layer undoes the change before commit. The refusal names the timeline events since the
page was shown and the status then and now.
"""

from __future__ import annotations

from datetime import UTC, datetime

from portal.domain.errors import StaleCase
from portal.i18n import _l
from portal.models.grievances import Grievance


def marker(moment: datetime) -> str:
    """How a page remembers when it was shown (the form's `seen` field)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(seen: str | None) -> datetime | None:
    if not seen or len(seen) > 40:
        return None
    try:
        found = datetime.fromisoformat(seen)
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def check(case: Grievance, version: str | None, seen: str | None = None) -> None:
    """Refuse a change made on a page showing another version of the case than the current
    one (a form without its version is refused too: it cannot show it saw the latest)."""
    if version and version.isdigit() and len(version) < 12 and int(version) == case.version:
        return
    since = _moment(seen)
    changes = [e for e in case.events if since is not None and e.at > since]
    before = next((e.from_status for e in changes if e.kind == "status" and e.from_status), None)
    raise StaleCase(
        _l("Someone else changed this case while you were working on it."), changes, before
    )
