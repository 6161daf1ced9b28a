"""Every model, imported so the metadata (and Alembic) sees all tables."""

from portal.models import (  # noqa: F401
    audit,
    committees,
    corrective_actions,
    drafts,
    grievances,
    keychecks,
    kpi_ledger,
    users,
)
from portal.models import policies as policies
