"""The people of the fault scenarios: members filing with evidence and reading their cases,
reviewers working the queue and case pages, each a thread with its own session.

Every answer is recorded (when, what, status or the connection error), and every filing
whose last step redirected to its acknowledgement is an acknowledged grievance: its reference
and the subject typed are kept, to be found again after the fault. A member whose filing got
no answer (a 503, a dropped connection) goes back and sends the same form again, as the outage
page tells them to; the one-time token means it is never filed twice.
"""

from __future__ import annotations

import http.client
import random
import re
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

EVIDENCE = (b"Statement of account, bench copy. Dues line repeated on each page.\n" * 1600)[
    : 100 * 1024
]
COOKIE = "portal_session"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SUBMISSION_RE = re.compile(r'name="submission_token"[^>]*value="([^"]+)"')
REF_RE = re.compile(r"GRV-\d{4}-\d{6}")
CASE_LINK_RE = re.compile(r'href="/committee/cases/(GRV-\d{4}-\d{6})"')
OUTAGE_TITLE = "The grievance portal is briefly unavailable"
FULL_MESSAGE = "We could not save your files just now, so nothing was sent."
# An answer that says nothing about the portal: the connection failed or was cut.
NO_ANSWER = 0

MEMBERS = [(f"member{i:02d}@demo.example", "member-demo-portal") for i in range(1, 13)]
STAFF = [
    ("chair.member-services@demo.example", "chair-demo-portal"),
    ("reviewer3@demo.example", "reviewer-demo-portal"),
    ("reviewer4@demo.example", "reviewer-demo-portal"),
    ("reviewer1@demo.example", "reviewer-demo-portal"),
]


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    text: str


class Client:
    """One request per connection, never retried: a request cut by a fault is seen as cut
    (gunicorn's sync workers close every connection after the answer anyway)."""

    def __init__(self, base_url: str, source: str | None = None, cookie: str = "") -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.source = (source, 0) if source else None
        self.cookie = cookie

    def request(self, method: str, path: str, body: bytes = b"", kind: str = "") -> Response:
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        if kind:
            headers["Content-Type"] = kind
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=60, source_address=self.source
        )
        try:
            conn.request(method, path, body=body or None, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie" and value.startswith(f"{COOKIE}="):
                self.cookie = value.split("=", 1)[1].split(";", 1)[0]
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]) -> Response:
        body = urlencode(fields).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def post_multipart(
        self, path: str, fields: dict[str, str], files: list[tuple[str, str, bytes, str]]
    ) -> Response:
        """`files`: (field, file name, content, content type)."""
        boundary = "faults" + secrets.token_hex(12)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        for name, filename, content, kind in files:
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'
            )
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/sign-in")
        found = CSRF_RE.search(page.text)
        if page.status != 200 or not found:
            raise RuntimeError(f"the sign-in page answered {page.status}")
        done = self.post(
            "/sign-in", {"csrf_token": found.group(1), "email": email, "password": password}
        )
        if done.status != 303:
            raise RuntimeError(f"signing in as {email} answered {done.status}")


def form_tokens(html: str) -> dict[str, str]:
    csrf, token = CSRF_RE.search(html), SUBMISSION_RE.search(html)
    if not csrf or not token:
        raise RuntimeError("the filing form has no CSRF or submission token")
    return {"csrf_token": csrf.group(1), "submission_token": token.group(1)}


@dataclass(frozen=True)
class Answer:
    at: float  # time.monotonic()
    step: str  # file.form, file.review, file.shown, file.send, my, case, queue, staff.case
    status: int  # NO_ANSWER for a connection error
    outage_page: bool = False  # a 503 that is the portal's own page, with Retry-After
    leak: bool = False  # a stack trace or SQL in the body
    full_message: bool = False  # the "could not save your files" message, typed text kept


@dataclass
class Record:
    """What every user saw, shared by the threads."""

    answers: list[Answer] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # reference -> subject
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def statuses(self, since: float = 0.0, until: float = float("inf")) -> Counter[int]:
        return Counter(a.status for a in self.answers if since <= a.at < until)

    def errors(self, also: dict[str, set[int]] | None = None) -> list[Answer]:
        """Answers no user should get: anything but the pages and redirects asked for (and
        `also`, by step, where the scenario expects a refusal)."""
        expected = {"file.review": {303}, "file.send": {303}}
        for step, statuses in (also or {}).items():
            expected[step] = expected.get(step, {200}) | statuses
        return [a for a in self.answers if a.status not in expected.get(a.step, {200})]


def _answer(step: str, response: Response | None, typed: str = "") -> Answer:
    if response is None:
        return Answer(time.monotonic(), step, NO_ANSWER)
    text = response.text
    return Answer(
        time.monotonic(),
        step,
        response.status,
        outage_page=response.status == 503
        and OUTAGE_TITLE in text
        and "retry-after" in response.headers,
        leak=any(s in text for s in ("Traceback", "SELECT ", "sqlalchemy", "psycopg")),
        full_message=response.status == 400 and FULL_MESSAGE in text and typed in text,
    )


class User(threading.Thread):
    def __init__(self, base_url: str, cookie: str, record: Record, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.client = Client(base_url, cookie=cookie)
        self.record = record
        self.stop_event = stop

    def call(
        self, step: str, method: str, path: str, typed: str = "", **kw: object
    ) -> Response | None:
        try:
            if method == "GET":
                response = self.client.get(path)
            elif "files" in kw:
                response = self.client.post_multipart(path, kw["fields"], kw["files"])  # type: ignore[arg-type]
            else:
                response = self.client.post(path, kw["fields"])  # type: ignore[arg-type]
        except (OSError, http.client.HTTPException):
            response = None
        self.record.add(_answer(step, response, typed))
        return response

    def pause(self, seconds: float) -> None:
        self.stop_event.wait(seconds)

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.step()

    def step(self) -> None:
        raise NotImplementedError


class Member(User):
    """Files a grievance with a 100 KB statement, then reads "My grievances" and the case."""

    def step(self) -> None:
        subject = f"Bench {secrets.token_hex(6)} charged twice for dues"
        form = self.call("file.form", "GET", "/grievances/new")
        if form is None or form.status != 200:
            return self.pause(0.5)
        fields = {
            **form_tokens(form.text),
            "action": "review",
            "category": "billing",
            "subject": subject,
            "narrative": "My card was charged twice for the annual dues in March. " * 8,
            "desired_outcome": "A refund of the second charge.",
        }
        review = self.call("file.review", "POST", "/grievances/new", fields=fields)
        if review is None or review.status != 303:
            return self.pause(0.5)
        review_url = review.headers.get("location", "")
        shown = self.call("file.shown", "GET", review_url) if review_url else None
        found = CSRF_RE.search(shown.text) if shown is not None and shown.status == 200 else None
        if found is None:
            return self.pause(0.5)
        send = {"csrf_token": found.group(1), "action": "submit"}
        files = [("evidence", "statement.txt", EVIDENCE, "text/plain")]
        # No answer, or the outage page: back, and send the same form again (a few times).
        for _attempt in range(20):
            sent = self.call("file.send", "POST", review_url, subject, fields=send, files=files)
            if sent is not None and sent.status == 303:
                ref = REF_RE.search(sent.headers.get("location", ""))
                if ref and "/acknowledgement" in sent.headers["location"]:
                    with self.record.lock:
                        self.record.acknowledged[ref.group(0)] = subject
                    self.call("my", "GET", "/my/grievances")
                    self.call("case", "GET", f"/grievances/{ref.group(0)}")
                return None
            if sent is not None and sent.status not in (502, 503):
                return self.pause(0.5)  # refused (a full evidence folder): a new filing later
            if self.stop_event.is_set() and _attempt >= 10:
                return None
            time.sleep(0.5)
        return None


class Reviewer(User):
    """Opens the case queue, then one of the cases it lists."""

    def step(self) -> None:
        queue = self.call("queue", "GET", "/committee/queue")
        refs = CASE_LINK_RE.findall(queue.text) if queue is not None and queue.status == 200 else []
        if refs:
            self.call("staff.case", "GET", f"/committee/cases/{random.choice(refs)}")
        else:
            self.pause(0.2)


def sign_in_all(base_url: str) -> tuple[list[str], list[str]]:
    """Session cookies for the 12 members and 4 staff, each signing in from its own loopback
    address (sign-ins are limited per address)."""

    def sign_in(n: int, email: str, password: str) -> str:
        client = Client(base_url, source=f"127.0.0.{10 + n}")
        client.sign_in(email, password)
        return client.cookie

    people = MEMBERS + STAFF
    with ThreadPoolExecutor(4) as pool:  # password hashing is slow on purpose: two at a time
        cookies = list(pool.map(sign_in, range(len(people)), *zip(*people, strict=True)))
    return cookies[: len(MEMBERS)], cookies[len(MEMBERS) :]


def start_users(
    base_url: str, members: list[str], staff: list[str], record: Record, stop: threading.Event
) -> list[User]:
    users: list[User] = [Member(base_url, c, record, stop) for c in members]
    users += [Reviewer(base_url, c, record, stop) for c in staff]
    for user in users:
        user.start()
    return users
