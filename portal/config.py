"""Settings read once from ``PORTAL_*`` environment variables into a frozen object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Secrets that ship in the repository or in examples; production refuses them.
DEVELOPMENT_SECRETS = frozenset({"dev", "development", "change-me", "secret", "test"})
ENVIRONMENTS = frozenset({"development", "test", "production"})
MAIL_SECURITY = frozenset({"none", "starttls", "ssl"})


class SettingsError(Exception):
    """A setting is missing or unsafe; the message is one line for the operator."""


def _int(env: dict[str, str], name: str, default: int, low: int = 0) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < low:
        raise SettingsError(f"{name} must be at least {low}")
    return value


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    debug: bool = False
    instance_path: Path = ROOT / "instance"
    database_url: str = ""
    secret_key: str | None = field(default=None, repr=False)
    registration: str = "open"  # "open" or "invite"
    policies_dir: Path = ROOT / "policies"
    evidence_dir: Path | None = None
    max_upload_mb: int = 20
    max_files: int = 10
    allowed_upload_types: tuple[str, ...] = (
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/msword",
    )
    ratelimit_storage: str = "memory://"
    proxy_hops: int = 0  # trusted reverse proxies in front of the portal
    session_hours: int = 8
    port: int = 5000  # where `make run` serves; the default public address follows it
    base_url: str = "http://127.0.0.1:5000"
    # None: no server configured; development and tests then write mail to instance/mail/,
    # production sends to the local mail server (127.0.0.1).
    mail_server: str | None = None
    mail_port: int = 25
    mail_sender: str = "grievances@association.example"
    mail_security: str = "none"  # "none", "starttls" or "ssl"
    mail_username: str | None = None
    mail_password: str | None = field(default=None, repr=False)
    mail_timeout: int = 30  # seconds for one SMTP conversation step
    mail_max_attempts: int = 10  # then the message is marked failed for an administrator
    mail_retry_seconds: int = 60  # first retry delay; doubled each attempt, at most 6 hours
    testing: bool = False
    argon2_fast: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def keys_dir(self) -> Path:
        return self.instance_path / "keys"

    @property
    def files_dir(self) -> Path:
        return self.evidence_dir or self.instance_path / "evidence"

    @property
    def mail_dir(self) -> Path:
        return self.instance_path / "mail"

    @property
    def mail_to_files(self) -> bool:
        """No mail server configured outside production: mail is written as .eml files."""
        return self.mail_server is None and not self.production

    @property
    def resolved_mail_server(self) -> str:
        return self.mail_server or "127.0.0.1"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_path / 'portal.db'}"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        get = env.get
        instance = Path(get("PORTAL_INSTANCE_PATH") or ROOT / "instance")
        port = _int(env, "PORTAL_PORT", 5000, low=1)
        return cls(
            env=get("PORTAL_ENV", "development"),
            debug=_bool(get("PORTAL_DEBUG"), False),
            instance_path=instance,
            database_url=get("PORTAL_DATABASE_URL", ""),
            secret_key=get("PORTAL_SECRET_KEY") or None,
            registration=get("PORTAL_REGISTRATION", "open"),
            policies_dir=Path(get("PORTAL_POLICIES_DIR") or ROOT / "policies"),
            evidence_dir=Path(p) if (p := get("PORTAL_EVIDENCE_DIR")) else None,
            max_upload_mb=_int(env, "PORTAL_MAX_UPLOAD_MB", 20, low=1),
            max_files=_int(env, "PORTAL_MAX_FILES", 10, low=1),
            allowed_upload_types=tuple(
                t.strip() for t in get("PORTAL_UPLOAD_TYPES", "").split(",") if t.strip()
            )
            or cls.allowed_upload_types,
            ratelimit_storage=get("PORTAL_RATELIMIT_STORAGE", "memory://"),
            proxy_hops=_int(env, "PORTAL_PROXY_HOPS", 0),
            session_hours=_int(env, "PORTAL_SESSION_HOURS", 8, low=1),
            port=port,
            # Links printed or mailed must reach this server: without a public address
            # set, it is the loopback address on the port the portal is served on.
            base_url=get("PORTAL_BASE_URL") or f"http://127.0.0.1:{port}",
            mail_server=get("PORTAL_MAIL_SERVER") or None,
            mail_port=_int(env, "PORTAL_MAIL_PORT", 25, low=1),
            mail_sender=get("PORTAL_MAIL_SENDER", "grievances@association.example"),
            mail_security=get("PORTAL_MAIL_SECURITY", "none").strip().lower() or "none",
            mail_username=get("PORTAL_MAIL_USERNAME") or None,
            mail_password=get("PORTAL_MAIL_PASSWORD") or None,
            mail_timeout=_int(env, "PORTAL_MAIL_TIMEOUT", 30, low=1),
            mail_max_attempts=_int(env, "PORTAL_MAIL_MAX_ATTEMPTS", 10, low=1),
            mail_retry_seconds=_int(env, "PORTAL_MAIL_RETRY_SECONDS", 60, low=1),
        )

    def check(self) -> None:
        """Refuse unsafe production settings with a one-line reason."""
        if self.env not in ENVIRONMENTS:
            raise SettingsError(f"PORTAL_ENV must be one of {', '.join(sorted(ENVIRONMENTS))}")
        if self.registration not in {"open", "invite"}:
            raise SettingsError("PORTAL_REGISTRATION must be 'open' or 'invite'")
        if self.mail_security not in MAIL_SECURITY:
            raise SettingsError("PORTAL_MAIL_SECURITY must be 'none', 'starttls' or 'ssl'")
        if self.mail_password and not self.mail_username:
            raise SettingsError("PORTAL_MAIL_PASSWORD is set without PORTAL_MAIL_USERNAME")
        if not self.production:
            return
        if self.debug:
            raise SettingsError("PORTAL_DEBUG must be off when PORTAL_ENV=production")
        key = self.secret_key or ""
        if key.lower() in DEVELOPMENT_SECRETS:
            raise SettingsError("the secret key is a development value; generate a new one")
        if len(key) < 32:
            raise SettingsError("the secret key is missing or shorter than 32 characters")
