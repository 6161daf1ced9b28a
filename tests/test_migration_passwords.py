"""An installation whose password hashes are bare upgrades: they are sealed, and sign in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from argon2 import PasswordHasher

from portal import create_app
from portal.db import database, make_engine
from portal.security import keys
from tests.conftest import Browser, make_settings
from tests.test_migrations import alembic_config

BEFORE = "2f7b9d4e6c18"
PASSWORD = "an old password kept for years"


def test_bare_hashes_are_sealed_and_still_sign_in(empty_database_url: str, tmp_path: Path):
    instance = tmp_path / "instance"
    keys.init_keys(instance / "keys")
    material = keys.load_keys(instance / "keys", {})
    config = alembic_config(empty_database_url)
    command.upgrade(config, BEFORE)
    bare = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    engine = make_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (email, email_key, full_name, password_hash, active, "
                "mail_preference, created_at, email_confirmed_at) VALUES ('Old@Example.org', "
                "'old@example.org', 'Old Member', :h, true, 'all', :t, :t)"
            ),
            {"h": bare, "t": datetime(2026, 11, 1, tzinfo=UTC)},
        )
        conn.execute(
            sa.text("INSERT INTO user_roles (user_id, role) SELECT id, 'member' FROM users")
        )

    config.attributes["keys"] = material
    command.upgrade(config, "head")
    with engine.connect() as conn:
        sealed = conn.scalar(sa.text("SELECT password_hash FROM users"))
    assert sealed.startswith("$sealed1$") and "argon2" not in sealed

    app = create_app(make_settings(instance, empty_database_url))
    try:
        browser = Browser(app.test_client())
        assert browser.sign_in("old@example.org", "not the password at all").status_code == 400
        assert browser.sign_in("old@example.org", PASSWORD).status_code == 303
    finally:
        database(app).engine.dispose()

    command.downgrade(config, BEFORE)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT password_hash FROM users")) == bare
    engine.dispose()
