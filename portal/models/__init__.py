"""Every model, imported so the metadata (and Alembic) sees all tables."""

from portal.models import audit, committees, drafts, grievances, keychecks, users  # noqa: F401
from portal.models import corrective_actions, kpi_ledger  # noqa: F401
from portal.models import policies as policies
