"""The bench's stack floor does the work it claims (two reads, one logged view, 25 rows on
the page), and the table shows its share of bare Flask beside the pages' shares."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bench import figures
from bench import floor as bench_floor
from bench.load import Run


def test_the_floor_lists_one_committees_open_rows_and_logs_each_view(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'floor.db'}"
    bench_floor.prepare(url, rows=400)
    bench_floor.prepare(url, rows=400)  # made once: a second run keeps the rows
    client = bench_floor.create_app(url).test_client()

    pages = [client.get("/") for _ in range(3)]

    assert all(page.status_code == 200 for page in pages)
    html = pages[0].get_data(as_text=True)
    shown = [line for line in html.splitlines() if "/cases/G-" in line]
    # Committee 1 holds items 2, 10, 18, ...; every third item (1, 4, 7, ...) is closed.
    open_ones = [n for n in range(2, 401, 8) if (n - 1) % 3 != 0][: bench_floor.PAGE]
    assert [f"G-{n:06d}" for n in open_ones] == [
        line.split('href="/cases/')[1].split('"')[0] for line in shown
    ]
    assert "Open cases for Rita Reviewer" in html
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM floor_items")) == 400
        assert conn.scalar(sa.text("SELECT count(*) FROM floor_views")) == 3
    engine.dispose()


def test_the_table_shows_the_floors_share_of_bare_flask():
    run = Run(400.0, 30.0, 50.0, 60.0, 4000, 0, 0.9, extra={"rss_mb": 64.0})
    hello = Run(rps=4000.0, p50=3.0, p95=5.0, p99=6.0, requests=40000, errors=0, cpu=0.9)

    rows = {r["key"]: r for r in figures.table_rows({"postgresql": {"hello": hello, "floor": run}})}

    assert rows["floor.rps"]["postgresql"] == 400.0
    assert rows["floor.share"]["postgresql"] == 0.1
    assert rows["floor.share"]["sqlite"] is None
    assert rows["floor.p95"]["postgresql"] == 50.0 and rows["floor.rss"]["postgresql"] == 64.0
