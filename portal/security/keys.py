"""Key material kept outside the database.

Three independent secrets, so that compromising one purpose does
not compromise another:

* the KEK ring, which wraps each grievance's data key;
* the index root, from which HKDF derives blind-index and audit-chain keys;
* the Flask secret key, used only for sessions and CSRF tokens.

Each lives in its own file under the keys directory, or in an environment
variable that overrides that file. A missing or malformed source is always an
error: generating a key on the fly would silently make existing data unreadable.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portal.security.errors import KeyConfigError, KeyNotFound

KEY_BYTES = 32
SECRET_KEY_CHARS = 64

KEK_FILE = "kek.json"
INDEX_FILE = "index.key"
SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret

ENV_KEK_RING = "PORTAL_KEK_RING"
ENV_INDEX_KEY = "PORTAL_INDEX_KEY"
ENV_SECRET_KEY = "PORTAL_SECRET_KEY"  # noqa: S105 - a variable name

_INIT_HINT = (
    "on a new installation run `flask keys init`; on one that holds data, restore the "
    "key files from the backup (a new key cannot read what the old one sealed)"
)
# Said instead when the database already holds data: a new key is never the answer.
RESTORE_HINT = (
    "the database holds data sealed with this key: restore the key files from the backup "
    "of this installation (a new key cannot read what the old one sealed)"
)


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"{what} is not valid base64") from None


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class KeyRing:
    """Key-encryption keys by id; ``active_id`` wraps new data keys."""

    # repr=False keeps key bytes out of logs and tracebacks.
    keys: Mapping[str, bytes] = field(repr=False)
    active_id: str

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyConfigError("the key ring is empty")
        for kid, key in self.keys.items():
            if not isinstance(kid, str) or not kid:
                raise KeyConfigError("the key ring has an empty or non-text key id")
            if not isinstance(key, bytes) or len(key) != KEY_BYTES:
                raise KeyConfigError(f"key {kid!r} in the key ring is not {KEY_BYTES} bytes")
        if self.active_id not in self.keys:
            raise KeyConfigError(f"the active key {self.active_id!r} is not in the key ring")
        # Freeze a private copy so the caller's dict cannot change the ring later.
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    @classmethod
    def generate(cls) -> KeyRing:
        """A fresh ring holding one random key under a random id."""
        kid = new_key_id()
        return cls(keys={kid: secrets.token_bytes(KEY_BYTES)}, active_id=kid)

    def active(self) -> tuple[str, bytes]:
        return self.active_id, self.keys[self.active_id]

    def get(self, kid: str) -> bytes:
        try:
            return self.keys[kid]
        except KeyError:
            raise KeyNotFound(f"key {kid!r} is not in the key ring; {RESTORE_HINT}") from None

    def with_new_active_key(self) -> KeyRing:
        kid = new_key_id()
        while kid in self.keys:  # 2^-32 per try; never reuse an id
            kid = new_key_id()
        return KeyRing(keys={**self.keys, kid: secrets.token_bytes(KEY_BYTES)}, active_id=kid)

    def without(self, kid: str) -> KeyRing:
        if kid == self.active_id:
            raise KeyConfigError(f"key {kid!r} is active and cannot be removed; rotate first")
        self.get(kid)  # KeyNotFound for an unknown id
        return KeyRing(
            keys={k: v for k, v in self.keys.items() if k != kid}, active_id=self.active_id
        )

    def to_json(self) -> str:
        body = {"active": self.active_id, "keys": {k: _b64encode(v) for k, v in self.keys.items()}}
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        try:
            body = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            raise KeyConfigError("the key ring is not valid JSON") from None
        if not isinstance(body, dict):
            raise KeyConfigError("the key ring must be a JSON object")
        active, keys = body.get("active"), body.get("keys")
        if not isinstance(active, str) or not isinstance(keys, dict):
            raise KeyConfigError('the key ring needs "active" (text) and "keys" (object)')
        decoded: dict[str, bytes] = {}
        for kid, value in keys.items():
            if not isinstance(value, str):
                raise KeyConfigError(f"key {kid!r} in the key ring is not base64 text")
            decoded[kid] = _b64decode(value, f"key {kid!r} in the key ring")
        return cls(keys=decoded, active_id=active)


def new_key_id() -> str:
    """A random id: a key recreated by mistake never shares an id with the one it replaces."""
    return "k" + secrets.token_hex(4)


@functools.lru_cache(maxsize=64)
def derive_key(root: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, so one root never keys two algorithms.

    Cached: every page derives the same few keys, and the root is in memory anyway."""
    if len(root) != KEY_BYTES:
        raise KeyConfigError(f"the index root key is not {KEY_BYTES} bytes")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=b"portal:" + purpose.encode("utf-8"),
    )
    return hkdf.derive(root)


@dataclass(frozen=True)
class KeyMaterial:
    ring: KeyRing
    index_root: bytes = field(repr=False)
    secret_key: str = field(repr=False)
    # The ring came from PORTAL_KEK_RING, so rotation must happen where it is kept.
    ring_from_env: bool = False

    def __post_init__(self) -> None:
        if len(self.index_root) != KEY_BYTES:
            raise KeyConfigError(f"the index root key is not {KEY_BYTES} bytes")
        if not self.secret_key:
            raise KeyConfigError("the secret key is empty")


# --- files -----------------------------------------------------------------


def fsync_dir(directory: Path) -> None:
    """Make the names in `directory` (a file just created or moved there) survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_private(path: Path, text: str, *, overwrite: bool) -> bool:
    """Write ``text`` to ``path`` with mode 0600, atomically.

    The content goes to a temporary file created 0600 from the start (never a
    moment world-readable), then is moved into place. Without ``overwrite`` the
    move is a hard link, which fails if the target exists, so two concurrent
    ``keys init`` runs cannot clobber each other. Returns whether it wrote.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)  # exact mode regardless of umask
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            except OSError:
                # No hard links (some mounted volumes): fall back to check-then-replace.
                if path.exists():
                    return False
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return True


def _ensure_dir(keys_dir: Path) -> None:
    if not keys_dir.exists():
        keys_dir.mkdir(mode=0o700, parents=True)
        keys_dir.chmod(0o700)  # mkdir's mode is filtered by the umask


def init_keys(keys_dir: Path) -> list[Path]:
    """Create whichever key files are missing; never overwrite one. Returns created paths."""
    _ensure_dir(keys_dir)
    contents = {
        KEK_FILE: lambda: KeyRing.generate().to_json(),
        INDEX_FILE: lambda: _b64encode(secrets.token_bytes(KEY_BYTES)) + "\n",
        SECRET_FILE: lambda: secrets.token_urlsafe(48) + "\n",  # 48 bytes -> 64 chars
    }
    created: list[Path] = []
    for name, make in contents.items():
        path = keys_dir / name
        if not path.exists() and _write_private(path, make(), overwrite=False):
            created.append(path)
    return created


def save_ring(keys_dir: Path, ring: KeyRing) -> Path:
    """Atomically replace ``kek.json`` (used by rotate and retire)."""
    _ensure_dir(keys_dir)
    path = keys_dir / KEK_FILE
    _write_private(path, ring.to_json(), overwrite=True)
    return path


def _read_source(
    keys_dir: Path, name: str, env: Mapping[str, str], var: str, hint: str = _INIT_HINT
) -> tuple[str, str]:
    """The text of one key and a label for messages; env wins over the file."""
    # An empty variable counts as unset, matching how Settings reads PORTAL_*.
    if value := env.get(var):
        return value, f"environment variable {var}"
    path = keys_dir / name
    label = f"key file {path}"
    try:
        _check_private(path, label)
        return path.read_text(encoding="utf-8"), label
    except FileNotFoundError:
        raise KeyConfigError(f"{label} is missing and {var} is not set; {hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
        raise KeyConfigError(f"{label} cannot be read ({reason}); {hint}") from None


def _check_private(path: Path, label: str) -> None:
    """Refuse a key file others could read or replace: the key would no longer be secret."""
    info = path.stat()
    if info.st_mode & 0o077:
        raise KeyConfigError(
            f"{label} is readable or writable by others (mode {info.st_mode & 0o777:o}); "
            f"run `chmod 600 {path}` and check who else could have read it"
        )
    if info.st_uid != os.geteuid():
        raise KeyConfigError(
            f"{label} belongs to another user (uid {info.st_uid}); it must belong to the "
            "user the portal runs as"
        )


def scrub_environment(env: dict[str, str] | os._Environ[str]) -> None:
    """Forget key material given in the environment once loaded, so it does not
    reach child processes, crash reports or /proc/<pid>/environ."""
    for var in (ENV_KEK_RING, ENV_INDEX_KEY, ENV_SECRET_KEY):
        env.pop(var, None)


def load_keys(keys_dir: Path, env: Mapping[str, str], *, holds_data: bool = False) -> KeyMaterial:
    """Load all three secrets or raise KeyConfigError naming the bad source.

    `holds_data` (the database already has data) changes the advice: restore, never init."""
    hint = RESTORE_HINT if holds_data else _INIT_HINT
    text, label = _read_source(keys_dir, KEK_FILE, env, ENV_KEK_RING, hint)
    try:
        ring = KeyRing.from_json(text)
    except KeyConfigError as exc:
        raise KeyConfigError(f"{label}: {exc}; {hint}") from None

    text, label = _read_source(keys_dir, INDEX_FILE, env, ENV_INDEX_KEY, hint)
    try:
        index_root = _b64decode(text, "the index key")
    except KeyConfigError as exc:
        raise KeyConfigError(f"{label}: {exc}; {hint}") from None
    if len(index_root) != KEY_BYTES:
        raise KeyConfigError(f"{label}: the index key is not {KEY_BYTES} bytes; {hint}")

    text, label = _read_source(keys_dir, SECRET_FILE, env, ENV_SECRET_KEY, hint)
    secret_key = text.strip()
    if not secret_key:
        raise KeyConfigError(f"{label}: the secret key is empty; {hint}")

    return KeyMaterial(
        ring=ring,
        index_root=index_root,
        secret_key=secret_key,
        ring_from_env=bool(env.get(ENV_KEK_RING)),
    )


# --- process-wide registry ---------------------------------------------------
# Models encrypt and decrypt in property accessors and cannot reach the Flask
# app, so the factory installs the loaded material here once at start-up.

_installed: KeyMaterial | None = None


def install(material: KeyMaterial) -> None:
    global _installed
    _installed = material


def uninstall() -> None:
    """Forget the installed material (tests, and app teardown)."""
    global _installed
    _installed = None


def current() -> KeyMaterial:
    if _installed is None:
        raise KeyConfigError("keys are not loaded")
    return _installed


class RingWatcher:
    """Picks up a ring that `flask keys rotate` or `retire` rewrote in another process.

    Web workers check the file's modification time before each request (one
    stat call), so a rotation takes effect without a restart: cases rewrapped
    under the new key stay readable, and new cases are wrapped by it.
    """

    def __init__(self, keys_dir: Path, fixed: bool) -> None:
        self.path = keys_dir / KEK_FILE
        self.fixed = fixed  # a ring from the environment cannot change
        self.seen = self._mtime()

    def _mtime(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    def refresh(self) -> bool:
        if self.fixed:
            return False
        mtime = self._mtime()
        if mtime is None or mtime == self.seen:
            return False
        ring = KeyRing.from_json(self.path.read_text(encoding="utf-8"))
        material = current()
        install(replace(material, ring=ring))
        self.seen = mtime
        return True
