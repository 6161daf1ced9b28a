"""Every model, imported so the metadata (and Alembic) sees all tables."""

from portal.models import (  # noqa: F401
    audit,
    committees,
    drafts,
    grievances,
    improvements,
    keychecks,
    outbox,
    surveys,
    users,
)
from portal.models import policies as policies
