"""Alembic environment: the models' metadata, the portal's database URL."""

from __future__ import annotations

import warnings
from typing import Any

from alembic import context
from sqlalchemy import Connection

from portal import models  # noqa: F401  (registers every table)
from portal.config import Settings
from portal.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("url") or Settings.from_env().resolved_database_url


# Indexes on expressions: SQLAlchemy cannot reflect them on SQLite, so `alembic check`
# cannot compare them; tests/unit/test_query_plans.py checks that the database uses them.
EXPRESSION_INDEXES = {"ix_grievances_committee_open_pending"}
warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based")


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include,
    )


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table by dropping it; with foreign keys
            # on, that drop would cascade and delete every child row. The pragma
            # only works outside a transaction, so set it on the raw connection.
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration left broken references: {broken[:5]}")
        if sqlite:
            raw.execute("PRAGMA foreign_keys=ON")
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
