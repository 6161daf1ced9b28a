"""A small keep-alive HTTP client for the bench: sign in, keep the cookie, send forms.

The portal limits sign-ins per client address (10 a minute); on loopback every address in
127.0.0.0/8 is ours, so each sign-in comes from its own source address, as people signing in
from their own machines do. Sessions are server-side rows, so a cookie stays valid across
server restarts: `sessions()` signs in once per instance and keeps the cookies in its folder.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

COOKIE = "portal_session"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SUBMISSION_RE = re.compile(r'name="submission_token"[^>]*value="([^"]+)"')


class ClientError(RuntimeError):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Client:
    base_url: str
    source: str | None = None  # a loopback source address, e.g. "127.0.0.7"
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            source = (self.source, 0) if self.source else None
            self.conn = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout, source_address=source
            )
        return self.conn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=sent)
                raw = conn.getresponse()
                data = raw.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.close()  # the server closed a kept-alive connection: open a new one
                if attempt == 2:
                    raise
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]) -> Response:
        body = urlencode(fields).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post_multipart(
        self, path: str, fields: dict[str, str], files: list[tuple[str, str, bytes, str]]
    ) -> Response:
        """`files`: (field, filename, content, content type)."""
        boundary = "bench" + secrets.token_hex(12)
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
        for name, filename, content, kind in files:
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'
            )
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            "POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/sign-in")
        found = CSRF_RE.search(page.text)
        if page.status != 200 or not found:
            raise ClientError(f"sign-in page answered {page.status}")
        done = self.post(
            "/sign-in", {"csrf_token": found.group(1), "email": email, "password": password}
        )
        if done.status != 303 or COOKIE not in self.cookies:
            raise ClientError(f"signing in as {email} answered {done.status}")


def form_tokens(html: str) -> dict[str, str]:
    csrf, token = CSRF_RE.search(html), SUBMISSION_RE.search(html)
    if not csrf or not token:
        raise ClientError("the filing form has no CSRF or submission token")
    return {"csrf_token": csrf.group(1), "submission_token": token.group(1)}


def sessions(
    base_url: str, folder: Path, people: list[tuple[str, str]], probe: str = "/account"
) -> dict[str, str]:
    """A session cookie per email, signing in only those whose kept cookie no longer works."""
    path = folder / "sessions.json"
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    out: dict[str, str] = {}
    for n, (email, password) in enumerate(people):
        cookie = kept.get(email)
        if cookie:
            check = Client(base_url, cookies={COOKIE: cookie})
            ok = check.get(probe).status == 200
            check.close()
            if ok:
                out[email] = cookie
                continue
        client = Client(base_url, source=f"127.0.{1 + n // 250}.{2 + n % 250}")
        client.sign_in(email, password)
        out[email] = client.cookies[COOKIE]
        client.close()
    path.write_text(json.dumps({**kept, **out}, indent=1))
    path.chmod(0o600)
    return out
