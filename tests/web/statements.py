"""Counting the SQL statements a request issues, to hold pages to a fixed cost (issue 13, item 7).

`statements_for(app, browser, url)` loads the page once to warm caches, then again while the
app's engine counts statements (`before_cursor_execute`). `same_cost(app, pages, grow)`
measures each (browser, url), lets `grow()` add data, measures again and fails with the
statements that appeared, so an N+1 shows as the query it repeats.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

from portal.db import database
from tests.conftest import Browser


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    """Every statement sent on the app's engine while the block runs."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = database(app).engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def statements_for(app: Flask, browser: Browser, url: str) -> list[str]:
    browser.get(url)  # warm: the first request may fill caches
    with counted(app) as statements:
        response = browser.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return statements


def _shape(statement: str) -> str:
    """A statement without its bound values' count (an IN list may grow, it is one query)."""
    shape = re.sub(r"\s+", " ", statement).strip()
    shape = re.sub(r"sa_savepoint_\d+", "sa_savepoint", shape)
    shape = re.sub(r"\(__\[POSTCOMPILE_\w+\]\)", "(…)", shape)
    shape = re.sub(r"IN \((?:\?|%\(\w+\)s|\$\d+)(?:, (?:\?|%\(\w+\)s|\$\d+))*\)", "IN (…)", shape)
    return shape[:300]


def same_cost(
    app: Flask, pages: Sequence[tuple[Browser, str]], grow: Callable[[], None]
) -> dict[str, int]:
    """Assert each page (who opens it, its URL) costs as many statements after `grow()` as
    before; returns the counts by URL."""
    small = [statements_for(app, browser, url) for browser, url in pages]
    grow()
    large = [statements_for(app, browser, url) for browser, url in pages]
    for (_browser, url), before, after in zip(pages, small, large, strict=True):
        if len(after) != len(before):
            extra = Counter(map(_shape, after)) - Counter(map(_shape, before))
            repeated = "\n".join(f"  {n} more x {s}" for s, n in extra.most_common(5))
            raise AssertionError(
                f"{url}: {len(before)} statements before, {len(after)} after:\n{repeated}"
            )
    return {url: len(before) for (_browser, url), before in zip(pages, small, strict=True)}
