"""Where a page's time goes, in one process: `python -m bench.profile NAME PAGE [N]`.

Signs in through the portal's own form (the Flask test client, no network), requests the
page N times under cProfile and prints the SQL statements per request, the time per request,
and the portal's functions that take most of it. With SQL=1 it prints instead each statement's
median time as the client sees it (round trip and driver), without the profiler. NAME is a seeded instance under bench/work/
(e.g. postgresql-100000), PAGE a key of bench.figures.PAGES, or `filing` for the form and its
POST with the bench's 100 KB evidence file (as a member). For a running server, py-spy
on a gunicorn worker tells the same story with the network and the database's CPU in it.
The profile's listing: SORT (default cumulative; tottime for time in a function itself),
RE (which files' functions, a regular expression; `.` for every library) and TOP (how many).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable

from flask.testing import FlaskClient

from bench.client import CSRF_RE, form_tokens
from bench.figures import PAGES, Page
from bench.load import EVIDENCE
from bench.server import WORK, Instance, copy_of, database_url


def main(argv: list[str]) -> int:
    name, key = argv[0], argv[1]
    count = int(argv[2]) if len(argv) > 2 else 50
    backend = name.split("-", 1)[0]
    inst = Instance(name, WORK / name, database_url(name, backend))
    if key != "filing":
        return _profile(inst, key, count)
    with copy_of(inst) as copy:  # filings stay out of the seeded data the figures read
        return _profile(copy, key, count)


def _profile(inst: Instance, key: str, count: int) -> int:
    import sqlalchemy as sa

    from portal import create_app
    from portal.config import Settings
    from portal.db import database

    manifest = json.loads((inst.path / "manifest.json").read_text())
    page = FILING if key == "filing" else next(p for p in PAGES if p.key == key)
    app = create_app(Settings.from_env(inst.env()))
    app.config["RATELIMIT_ENABLED"] = False
    client = app.test_client()
    if page.who == "member":
        email, password = manifest["members"][0]["email"], manifest["passwords"]["member"]
    else:
        email, password = manifest[page.who], manifest["passwords"]["staff"]
    form = client.get("/sign-in").get_data(as_text=True)
    token = CSRF_RE.search(form)
    assert token is not None
    signed = client.post(
        "/sign-in", data={"csrf_token": token.group(1), "email": email, "password": password}
    )
    assert signed.status_code == 303, signed.status_code
    paths = page.paths(manifest, 0)
    statements = 0
    ask = _file if key == "filing" else _get

    def counted(*_args: object) -> None:
        nonlocal statements
        statements += 1

    sa.event.listen(database(app).engine, "before_cursor_execute", counted)
    for path in paths[:3]:
        ask(client, path)  # warm caches
    statements = 0
    if os.environ.get("SQL") == "1":
        return _statement_times(database(app).engine, client, paths, count, ask)
    profile = cProfile.Profile()
    began = time.perf_counter()
    profile.enable()
    for i in range(count):
        ask(client, paths[i % len(paths)])
    profile.disable()
    took = time.perf_counter() - began
    print(f"{page.label}: {took / count * 1000:.1f} ms a request in one process (profiled), "
          f"{statements / count:.1f} SQL statements a request")  # fmt: skip
    stats = pstats.Stats(profile)
    stats.sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
        os.environ.get("RE", r"portal/|jinja2/environment|psycopg/cursor|sqlite3"),
        int(os.environ.get("TOP", "30")),
    )
    return 0


FILING = Page("filing", "Filing with a 100 KB file", "member", lambda _m, _i: ["/grievances/new"])


def _get(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 200


def _file(client: FlaskClient, path: str) -> None:
    """Open the filing form and send it, the way bench.load's filers do."""
    fields = {
        **form_tokens(client.get(path).get_data(as_text=True)),
        "action": "submit",
        "category": "billing",
        "subject": "Charged twice for dues",
        "narrative": "My card was charged twice for the annual dues. " * 20,
        "desired_outcome": "A refund of the second charge.",
        "evidence": (io.BytesIO(EVIDENCE), "statement.txt", "text/plain"),
    }
    sent = client.post(path, data=fields, content_type="multipart/form-data")
    assert sent.status_code == 303 and "/acknowledgement" in sent.location, sent.status_code


def _statement_times(
    engine: object,
    client: FlaskClient,
    paths: list[str],
    count: int,
    ask: Callable[[FlaskClient, str], None],
) -> int:
    """Each statement's median time over `count` requests, slowest in total first."""
    import sqlalchemy as sa

    times: dict[str, list[float]] = {}
    began = [0.0]

    def before(*_args: object) -> None:
        began[0] = time.perf_counter()

    def after(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        times.setdefault(" ".join(statement.split())[:100], []).append(
            time.perf_counter() - began[0]
        )

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    start = time.perf_counter()
    for i in range(count):
        ask(client, paths[i % len(paths)])
    took = (time.perf_counter() - start) / count * 1000
    in_sql = sum(map(sum, times.values())) / count * 1000
    print(f"{took:.1f} ms a request, {in_sql:.1f} ms of it in SQL statements")
    for text, spent in sorted(times.items(), key=lambda kv: -sum(kv[1])):
        spent.sort()
        print(f"{len(spent) / count:5.1f}x  median {spent[len(spent) // 2] * 1000:6.2f} ms  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
