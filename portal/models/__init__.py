"""Every model, imported so the metadata (and Alembic) sees all tables."""

from portal.models import (  # noqa: F401
    audit,
    committees,
    drafts,
    grievances,
    keychecks,
    outbox,
    users,
)
from portal.models import policies as policies
