"""Every model, imported so the metadata (and Alembic) sees all tables."""

from portal.models import (  # noqa: F401
    audit,
    committees,
    corrective_actions,
    drafts,
    grievances,
    improvements,
    keychecks,
    kpi_ledger,
    outbox,
    surveys,
    users,
)
from portal.models import policies as policies
