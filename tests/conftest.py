"""Fixtures: one migrated database per run, one rolled-back transaction per test.

SQLite by default; PostgreSQL when PORTAL_TEST_POSTGRES names a server URL, in
which case a database is created for the run and dropped after it.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from portal import create_app
from portal.config import Settings
from portal.db import database, make_engine
from portal.security import keys as keyring
from tests.renderers import stop_renderers

PG_BASE = os.environ.get("PORTAL_TEST_POSTGRES")

# Tests that never open a database: the SQLite pass runs them, the PostgreSQL pass (the
# longer of the two that `make test` runs side by side) would only repeat them.
DATABASE_FREE = (
    "tests/unit/domain/",
    "tests/unit/pdf/",
    "tests/unit/security/",
    "tests/unit/policies/test_association.py",
    "tests/unit/policies/test_languages.py",
    "tests/unit/policies/test_loader.py",
    "tests/unit/policies/test_seoul.py",
    "tests/unit/services/test_triage.py",
    "tests/unit/test_catalogue.py",
    "tests/unit/test_dates.py",
    "tests/unit/test_form_messages.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, leave out what the SQLite pass runs alike: database-free tests, and
    the SQLite side of the tests run on both (`empty_database_url`)."""
    if not PG_BASE:
        return
    repeated = [item for item in items if _repeated_on_postgres(item)]
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        left_out = set(repeated)
        items[:] = [item for item in items if item not in left_out]


def _repeated_on_postgres(item: pytest.Item) -> bool:
    params = getattr(item, "callspec", None)
    if params is not None and params.params.get("empty_database_url") == "sqlite":
        return True
    return item.nodeid.startswith(DATABASE_FREE) and "database_url" not in item.fixturenames


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    assert PG_BASE
    base = sa.make_url(PG_BASE)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def app_of_its_own(tmp_path: Path, base_app: Flask, prefix: str) -> Iterator[Flask]:
    """An app on a new PostgreSQL database and keys of its own, for what must be committed
    for real (unlike the rolled-back test transaction); the shared app's keys afterwards."""
    material = base_app.extensions["portal.keys"]
    instance = tmp_path / "instance"
    keyring.init_keys(instance / "keys")
    with postgres_database(prefix) as url:
        migrate(url)
        app = create_app(make_settings(instance, url))
        try:
            yield app
        finally:
            database(app).engine.dispose()
            keyring.install(material)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PG_BASE:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.db'}"
        return
    with postgres_database("portal_test") as url:
        yield url


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not PG_BASE, reason="PORTAL_TEST_POSTGRES is not set"),
        ),
    ]
)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    with postgres_database("portal_migrations") as url:
        yield url


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(toml_file=str(Path(__file__).resolve().parent.parent / "pyproject.toml"))
    config.attributes["url"] = url
    command.upgrade(config, "head")


def make_settings(instance: Path, url: str, **changes: object) -> Settings:
    return Settings(
        env="test",
        testing=True,
        instance_path=instance,
        database_url=url,
        argon2_fast=True,
    ).with_(**changes)


@pytest.fixture(scope="session")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("instance")
    keyring.init_keys(path / "keys")
    return path


@pytest.fixture(scope="session")
def base_app(instance: Path, database_url: str) -> Iterator[Flask]:
    migrate(database_url)
    app = create_app(make_settings(instance, database_url))
    yield app
    database(app).engine.dispose()
    stop_renderers(app.extensions["portal.pdf"].socket)


@pytest.fixture
def app(base_app: Flask) -> Iterator[Flask]:
    """The shared app, bound to a connection whose transaction is rolled back after the test."""
    db = database(base_app)
    material = base_app.extensions["portal.keys"]
    keyring.install(material)
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.sessionmaker
    db.sessionmaker = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield base_app
    finally:
        db.sessionmaker = original
        outer.rollback()
        connection.close()
        keyring.install(material)


@pytest.fixture
def mail_files(app: Flask) -> Iterator[Path]:
    """The folder development mail is written to; what the test writes there is removed after
    it, so pages listing that folder show other tests nothing of it."""
    folder = app.extensions["portal.settings"].mail_dir
    before = set(folder.glob("*.eml")) if folder.is_dir() else set()
    yield folder
    for path in set(folder.glob("*.eml")) - before if folder.is_dir() else ():
        path.unlink()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session in the test's transaction, for arranging data and checking results."""
    s = database(app).new_session()
    yield s
    s.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SUBMISSION_RE = re.compile(r'name="submission_token"[^>]*value="([^"]+)"')
# The case page's forms carry the version of the case they were shown with (CaseForm).
VERSION_RE = re.compile(r'name="((?:[\w]+-)?(?:version|seen))"[^>]*value="([^"]*)"')


def case_versions(html: str) -> dict[str, str]:
    """Every version and seen field of a case page, by name: what a browser would send."""
    return {name: value for name, value in VERSION_RE.findall(html)}


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def form_tokens(html: str) -> dict[str, str]:
    """The CSRF token and one-time submission token of a filing form."""
    match = SUBMISSION_RE.search(html)
    assert match, "page has no submission token"
    return {"csrf_token": csrf_token(html), "submission_token": match.group(1)}


class Browser:
    """Drives the test client the way a person does: open a page, fill its form, submit."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kw)

    def submit(self, url: str, data: dict[str, object], form_url: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
        html = self.client.get(form_url or url).get_data(as_text=True)
        token = csrf_token(html)
        return self.client.post(
            url, data={"csrf_token": token, **case_versions(html), **data}, **kw
        )

    def sign_in(self, email: str, password: str):  # type: ignore[no-untyped-def]
        return self.submit("/sign-in", {"email": email, "password": password})

    def sign_out(self):  # type: ignore[no-untyped-def]
        return self.submit("/sign-out", {}, form_url="/account")


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)
