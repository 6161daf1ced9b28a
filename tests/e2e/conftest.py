"""Browser tests: the portal served on a free port, driven by Chromium through page objects.

Unlike the `app` fixture, whose work is rolled back, the live server runs in its
own threads and needs data it can see, so each test gets its own committed
database: a fresh SQLite file, or a fresh schema in the run's PostgreSQL
database (dropped afterwards). Tests arrange and check data through
`live_server.session()` and must commit what the browser should see.

Chromium is the system one at /usr/bin/chromium; nothing here downloads a
browser, and a browser that cannot start fails the test rather than skipping it.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from portal import create_app
from portal.db import Base, database, make_engine
from portal.security import keys
from portal.security.errors import KeyConfigError
from tests.conftest import make_settings
from tests.mailbox import Mailbox

PG_BASE = os.environ.get("PORTAL_TEST_POSTGRES")
HERE = Path(__file__).resolve().parent

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Short enough that a missing element fails a test in seconds, not half a minute.
TIMEOUT_MS = 5_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test, so `-m "not e2e"` leaves them all out."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


# --- the live server ---------------------------------------------------------


@dataclass
class LiveServer:
    """A running portal: its base URL, its Flask app, and sessions on its database."""

    url: str
    app: Flask
    mailbox: Mailbox | None = None

    def session(self) -> Session:
        """A new session on the server's database; commit what the browser should see."""
        return database(self.app).new_session()

    def at(self, path: str) -> str:
        return self.url + path

    def mailed_link(self, address: str, contains: str) -> str:
        """The outbox's mail sent now (written as files, as in development), and the path of
        the newest link to `address` whose address contains `contains`."""
        from tests.mailbox import link_in, text_of

        if self.mailbox is None:
            instance = self.app.extensions["portal.settings"].instance_path
            self.mailbox = Mailbox(self.app, instance / "e2e-mail")
        self.mailbox.deliver()
        found = [m for m in self.mailbox.to(address) if contains in text_of(m)]
        assert found, f"no mail to {address} with a link to {contains}"
        return link_in(found[-1], contains)


@pytest.fixture
def live_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty, committed database with every table, belonging to this test alone."""
    if not PG_BASE:
        url = f"sqlite:///{tmp_path / 'live.db'}"
        _create_tables(url)
        yield url
        return
    schema = f"e2e_{secrets.token_hex(4)}"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = sa.make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = url.render_as_string(hide_password=False)
        _create_tables(rendered)
        yield rendered
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def _create_tables(url: str) -> None:
    import portal.models  # noqa: F401  (registers every table)

    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()


@pytest.fixture
def live_server(tmp_path: Path, live_database_url: str) -> Iterator[LiveServer]:
    """The portal on 127.0.0.1 and a free port, in a daemon thread, until the test ends."""
    instance = tmp_path / "instance"
    instance.mkdir()
    keys.init_keys(instance / "keys")
    # create_app installs its key material process-wide; put back what was there.
    try:
        previous: keys.KeyMaterial | None = keys.current()
    except KeyConfigError:
        previous = None
    server: BaseWSGIServer | None = None
    thread: threading.Thread | None = None
    app: Flask | None = None
    try:
        app = create_app(make_settings(instance, live_database_url))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        if app is not None:
            database(app).engine.dispose()
        if previous is not None:
            keys.install(previous)
        else:
            keys.uninstall()


# --- the browser ---------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """One Chromium for the whole run; each test gets its own context (cookies, storage)."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@contextmanager
def page_in(chromium: Browser, **context_options: object) -> Iterator[Page]:
    """A fresh page in a fresh browser context (no cookies from another test)."""
    context = chromium.new_context(**context_options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    with page_in(chromium) as page:
        yield page


@pytest.fixture
def korean_page(chromium: Browser) -> Iterator[Page]:
    """A page in a browser set to Korean: it sends Accept-Language: ko-KR."""
    with page_in(chromium, locale="ko-KR") as page:
        yield page


# --- page objects, one per role --------------------------------------------------


# What a person reads on the pages the page objects drive, in each language the
# portal speaks; the page objects find fields by these visible words only.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "email": "Email address",
        "password": "Password",
        "password_again": "Type the password again",
        "full_name": "Full name",
        "member_number": "Member number",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "signed_out": "You have signed out.",
        "create_account": "Create account",
        "registered": "Thank you for registering",
        "confirm_address": "Confirm my address",
        "confirmed": "Thank you: your email address is confirmed.",
        "my_grievances": "My grievances",
        "no_grievances": "You have not filed a grievance yet",
        "review": "Review my grievance",
        "send": "Send my grievance",
        "short_title": "Short title",
        "what_happened": "What happened",
        "billing": "Dues and billing",
        "go_to_case": "Go to GRV-",
        "withdraw": "withdraw this grievance",
        "record_for": "Record for {name}",
    },
    "ko": {
        "email": "이메일 주소",
        "password": "비밀번호",
        "password_again": "비밀번호 확인",
        "full_name": "성명",
        "member_number": "회원 번호",
        "sign_in": "로그인",
        "sign_out": "로그아웃",
        "signed_out": "로그아웃했습니다.",
        "create_account": "계정 만들기",
        "registered": "가입해 주셔서 감사합니다",
        "confirm_address": "내 주소 확인하기",
        "confirmed": "감사합니다. 이메일 주소가 확인되었습니다.",
        "my_grievances": "나의 고충 신청",
        "no_grievances": "아직 신청하신 고충이 없습니다",
        "review": "신청 내용 확인하기",
        "send": "고충 신청 보내기",
        "short_title": "짧은 제목",
        "what_happened": "있었던 일",
        "billing": "회비 및 청구",
        "go_to_case": " 보기",
        "withdraw": "이 고충 신청을 취하",
        "record_for": "{name} 님 대리 접수",
    },
}


class Pages:
    """What every visitor can do: open a page, sign in and out, read the result."""

    def __init__(self, page: Page, server: LiveServer, lang: str = "en") -> None:
        self.page = page
        self.server = server
        self.lang = lang
        self.words = WORDS[lang]

    def open(self, path: str) -> None:
        self.page.goto(self.server.at(path))

    def sign_in(self, email: str, password: str) -> None:
        w = self.words
        self.open("/sign-in")
        self.page.get_by_label(w["email"]).fill(email)
        self.page.get_by_label(w["password"], exact=True).fill(password)
        self.page.get_by_role("main").get_by_role("button", name=w["sign_in"]).click()
        # The sign-in page answers a failure with itself; a success leaves it.
        expect(self.page).not_to_have_url(re.compile(r"/sign-in"))

    def sign_out(self) -> None:
        banner = self.page.get_by_role("banner")
        banner.get_by_role("button", name=self.words["sign_out"]).click()
        self.expect_flash(self.words["signed_out"])

    def expect_heading(self, text: str) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text(text)

    def expect_flash(self, text: str) -> None:
        expect(self.page.get_by_role("status").filter(has_text=text)).to_be_visible()


class MemberPages(Pages):
    """A member: registers, follows their own grievances."""

    def register(self, *, name: str, email: str, password: str, member_number: str = "") -> None:
        w = self.words
        self.open("/register")
        self.page.get_by_label(w["full_name"]).fill(name)
        self.page.get_by_label(w["email"]).fill(email)
        self.page.get_by_label(w["member_number"]).fill(member_number)
        self.page.get_by_label(w["password"], exact=True).fill(password)
        self.page.get_by_label(w["password_again"]).fill(password)
        self.page.get_by_role("button", name=w["create_account"]).click()
        # The same answer whether or not the address was new; nobody is signed in.
        self.expect_heading(w["registered"])
        self.confirm_address(email)
        self.sign_in(email, password)
        self.expect_heading(w["my_grievances"])

    def confirm_address(self, email: str) -> None:
        """Open the link of the confirmation mail the outbox worker delivers, and confirm."""
        self.open(self.server.mailed_link(email, "/confirm/"))
        self.page.get_by_role("button", name=self.words["confirm_address"]).click()
        self.expect_flash(self.words["confirmed"])

    def expect_no_grievances(self) -> None:
        self.expect_heading(self.words["my_grievances"])
        expect(self.page.get_by_text(self.words["no_grievances"])).to_be_visible()


class AdminPages(Pages):
    """An administrator: finds people and changes their roles."""

    def search_users(self, query: str) -> None:
        self.open("/admin/users")
        self.page.get_by_label("Search by name, email or member number").fill(query)
        self.page.get_by_role("button", name="Search", exact=True).click()
        self.expect_heading("Users")

    def open_user(self, name: str) -> None:
        self.page.get_by_role("link", name=name, exact=True).click()
        self.expect_heading(name)

    def set_role(self, label: str, on: bool = True) -> None:
        """Tick or untick one role on the open user's page and save."""
        roles = self.page.get_by_role("group", name="Roles")
        roles.get_by_label(label, exact=True).set_checked(on)
        self.page.get_by_role("button", name="Save roles").click()


@pytest.fixture
def korean_member_pages(korean_page: Page, live_server: LiveServer) -> MemberPages:
    """A member whose browser reads Korean: every field found by its Korean label."""
    return MemberPages(korean_page, live_server, lang="ko")


@pytest.fixture
def member_pages(browser_page: Page, live_server: LiveServer) -> MemberPages:
    return MemberPages(browser_page, live_server)


@pytest.fixture
def admin_pages(browser_page: Page, live_server: LiveServer) -> AdminPages:
    return AdminPages(browser_page, live_server)
