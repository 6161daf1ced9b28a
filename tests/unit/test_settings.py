"""Production refuses unsafe settings; a missing key stops start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from portal import StartupError, create_app
from portal.config import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"debug": True}, "PORTAL_DEBUG must be off"),
        ({"secret_key": "short"}, "shorter than 32"),
        ({"secret_key": None}, "missing"),
        ({"secret_key": "change-me"}, "development value"),
    ],
)
def test_production_refuses_unsafe_settings(changes, message):
    settings = Settings(env="production", secret_key="x" * 40).with_(**changes)
    with pytest.raises(SettingsError, match=message):
        settings.check()


def test_production_accepts_a_long_random_secret():
    Settings(env="production", secret_key="k" * 48).check()


def test_settings_from_environment():
    settings = Settings.from_env(
        {
            "PORTAL_ENV": "production",
            "PORTAL_DATABASE_URL": "postgresql+psycopg://db/x",
            "PORTAL_REGISTRATION": "invite",
            "PORTAL_MAX_UPLOAD_MB": "5",
        }
    )
    assert settings.production and settings.registration == "invite"
    assert settings.resolved_database_url == "postgresql+psycopg://db/x"
    assert settings.max_upload_mb == 5
    with pytest.raises(Exception):
        settings.env = "development"  # type: ignore[misc]


def test_mail_settings_from_environment_keep_the_password_out_of_sight():
    settings = Settings.from_env(
        {
            "PORTAL_MAIL_SERVER": "smtp.example.org",
            "PORTAL_MAIL_PORT": "465",
            "PORTAL_MAIL_SECURITY": "SSL",
            "PORTAL_MAIL_USERNAME": "portal",
            "PORTAL_MAIL_PASSWORD": "s3cret-mail-password",
            "PORTAL_MAIL_MAX_ATTEMPTS": "4",
            "PORTAL_MAIL_RETRY_SECONDS": "30",
        }
    )
    assert (settings.mail_server, settings.mail_port, settings.mail_security) == (
        "smtp.example.org",
        465,
        "ssl",
    )
    assert (settings.mail_max_attempts, settings.mail_retry_seconds) == (4, 30)
    assert not settings.mail_to_files
    assert "s3cret-mail-password" not in repr(settings)
    settings.check()


def test_without_a_mail_server_development_writes_files_and_production_uses_localhost():
    development = Settings.from_env({})
    assert development.mail_server is None and development.mail_to_files
    production = Settings(env="production", secret_key="k" * 48)
    assert not production.mail_to_files and production.resolved_mail_server == "127.0.0.1"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mail_security": "tls"}, "PORTAL_MAIL_SECURITY must be"),
        ({"mail_password": "x"}, "without PORTAL_MAIL_USERNAME"),
    ],
)
def test_mail_settings_that_cannot_work_are_refused(changes, message):
    with pytest.raises(SettingsError, match=message):
        Settings().with_(**changes).check()


def test_create_app_without_keys_raises_a_one_line_error(tmp_path):
    with pytest.raises(StartupError) as info:
        create_app(Settings(testing=True, instance_path=tmp_path, database_url="sqlite://"))
    assert "flask keys init" in str(info.value) and "\n" not in str(info.value)


def _flask(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": "/usr/bin:/bin", "PORTAL_INSTANCE_PATH": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_startup_without_keys_exits_non_zero_with_one_line(tmp_path):
    result = _flask(tmp_path, "demo", "seed")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and "portal: cannot start" in lines[0]
    assert "flask keys init" in lines[0]


def test_keys_init_works_on_a_bare_machine_and_writes_0600_files(tmp_path):
    result = _flask(tmp_path, "keys", "init")
    assert result.returncode == 0, result.stderr
    for name in ("kek.json", "index.key", "secret.key"):
        assert (tmp_path / "keys" / name).stat().st_mode & 0o777 == 0o600


def test_production_with_debug_exits_non_zero(tmp_path):
    _flask(tmp_path, "keys", "init")
    result = _flask(tmp_path, "demo", "seed", PORTAL_ENV="production", PORTAL_DEBUG="1")
    assert result.returncode != 0 and "PORTAL_DEBUG must be off" in result.stderr


def test_production_cookies_are_secure(instance, database_url):
    from tests.conftest import make_settings

    app = create_app(make_settings(instance, database_url, env="production"))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax" and not app.debug


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTAL_ENV": "prod"}, "PORTAL_ENV must be one of"),
        ({"PORTAL_MAX_UPLOAD_MB": "abc"}, "PORTAL_MAX_UPLOAD_MB must be a whole number"),
        ({"PORTAL_SESSION_HOURS": "0"}, "PORTAL_SESSION_HOURS must be at least 1"),
    ],
)
def test_bad_settings_are_one_line_errors(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env).check()


def test_bad_numeric_setting_stops_start_up_with_one_line(tmp_path):
    _flask(tmp_path, "keys", "init")
    result = _flask(tmp_path, "demo", "seed", PORTAL_MAX_UPLOAD_MB="lots")
    assert result.returncode != 0
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        "portal: cannot start: PORTAL_MAX_UPLOAD_MB must be a whole number, not 'lots'"
    ]


def test_policies_check_explains_what_stops_the_start(tmp_path):
    import shutil

    _flask(tmp_path, "keys", "init")
    broken = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", broken)
    path = broken / "categories.toml"
    path.write_text(path.read_text().replace('committee = "ethics"', 'committee = "ethic"', 1))
    start = _flask(tmp_path, "demo", "seed", PORTAL_POLICIES_DIR=str(broken))
    assert start.returncode != 0 and "categories.toml" in start.stderr
    check = _flask(tmp_path, "policies", "check", PORTAL_POLICIES_DIR=str(broken))
    assert check.returncode == 1
    assert "categories.ethics.committee: 'ethic' is not one of" in check.stderr


def test_links_follow_the_port_unless_a_public_address_is_set():
    assert Settings.from_env({}).base_url == "http://127.0.0.1:5000"
    assert Settings.from_env({"PORTAL_PORT": "5077"}).base_url == "http://127.0.0.1:5077"
    public = {"PORTAL_PORT": "5077", "PORTAL_BASE_URL": "https://grievances.example.org"}
    assert Settings.from_env(public).base_url == "https://grievances.example.org"
    with pytest.raises(SettingsError, match="PORTAL_PORT must be a whole number"):
        Settings.from_env({"PORTAL_PORT": "eighty"})


def _make_run(tmp_path: Path, *args: str, **env: str) -> str:
    """`make run` with stand-ins for the venv's programs: "gunicorn" prints the public
    address the portal would build links from, instead of serving."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (tmp_path / "pyproject.toml").touch()
    for name in ("python", "flask", "alembic"):
        (venv / "bin" / name).write_text("#!/bin/sh\nexit 0\n")
    (venv / "bin" / "gunicorn").write_text(
        f'#!/bin/sh\nexec {sys.executable} -c "from portal.config import Settings;'
        ' print(Settings.from_env().base_url)"\n'
    )
    for path in (venv / "bin").iterdir():
        path.chmod(0o755)
    (venv / ".run-deps").touch()
    result = subprocess.run(
        ["make", "-s", "-f", str(ROOT / "Makefile"), f"VENV={venv}", "run", *args],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_make_run_on_another_port_prints_working_links(tmp_path):
    assert _make_run(tmp_path, "PORT=5077") == "http://127.0.0.1:5077"


def test_make_run_keeps_a_public_address_that_is_set(tmp_path):
    url = "https://grievances.example.org"
    assert _make_run(tmp_path, "PORT=5077", PORTAL_BASE_URL=url) == url
