"""The figures of `make bench`: one small declaration per row, each with its target.

A page the bench should time is one `Page(...)` line in PAGES (who signs in, which paths,
its targets); everything else is a `Figure(...)` line in OTHER_FIGURES reading a value out
of a backend's results (the KPI dashboard, the decision letter and the board report are pages
like the others). The table, JSON and Markdown are written from the same rows.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.load import Run

RESULTS = Path(__file__).resolve().parent / "results"
# The KPI dashboard is also timed over the ledger of this many grievances (bench/ledger_scale.py).
LEDGER_CASES = int(os.environ.get("BENCH_LEDGER_CASES") or 1_000_000)
BACKENDS = ("postgresql", "sqlite")
HEADINGS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


@dataclass(frozen=True)
class Target:
    op: str  # "<", "<=" or ">="
    value: float
    unit: str = ""

    def met(self, x: float) -> bool:
        return {"<": x < self.value, "<=": x <= self.value, ">=": x >= self.value}[self.op]

    def __str__(self) -> str:
        shown = f"{self.value:.0%}" if self.unit == "%" else f"{self.value:,g}"
        return f"{self.op} {shown}" + ("" if self.unit in ("", "%") else f" {self.unit}")


@dataclass(frozen=True)
class Page:
    """A page timed under load: who asks for it and which paths (from the seed's manifest)."""

    key: str
    label: str
    who: str  # "reviewer", "chair" or "member" (each load member with their own cases)
    paths: Callable[[dict[str, Any], int], list[str]]  # (manifest, member index) -> paths
    p95_ms: float | None = None  # target: p95 under this many ms
    share: float | None = None  # target: at least this share of bare Flask's requests/s
    # Load connections; a PDF is one person's download, timed one at a time, as a chair
    # clicks it (16 at once on 2 workers would time the queue, eight renders deep).
    connections: int = 16


def _member_cases(manifest: dict[str, Any], i: int) -> list[str]:
    return [f"/grievances/{ref}" for ref in manifest["members"][i]["cases"]]


def _last_month() -> str:
    first = datetime.now(UTC).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


PAGES = [
    Page("queue", "Reviewer's case queue", "reviewer", lambda m, i: ["/committee/queue"], 50, 0.25),
    Page(
        "committee_case",
        "Committee's case page",
        "reviewer",
        lambda m, i: [f"/committee/cases/{ref}" for ref in m["committee_cases"]],
        p95_ms=50,
    ),
    Page("member_case", "Member's case page", "member", _member_cases, p95_ms=50),
    Page("my_grievances", "My grievances", "member", lambda m, i: ["/my/grievances"], share=0.25),
    # The chair's dashboard over the last 90 days: sums over the daily ledger, never the cases;
    # a chair's page, timed one request at a time like the in-process figure at a million.
    Page("dashboard", "KPI dashboard (chair, last 90 days, one at a time)", "chair",
         lambda m, i: ["/insight/"], p95_ms=300, connections=1),
    Page("letter_pdf", "Decision letter (PDF, one at a time)", "chair",
         lambda m, i: [f"/committee/cases/{ref}/letter.pdf" for ref in m.get("decided_cases", [])],
         p95_ms=300, connections=1),
    Page("report_pdf", "Monthly board report (PDF, one at a time)", "chair",
         lambda m, i: [f"/insight/report.pdf?month={_last_month()}"], p95_ms=5000, connections=1),
]  # fmt: skip


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    value: Callable[[dict[str, Any]], float | None]  # from one backend's results
    target: Target | None = None
    digits: int = 0


def _page(key: str, what: str) -> Callable[[dict[str, Any]], float | None]:
    def get(results: dict[str, Any]) -> float | None:
        run: Run | None = results.get("pages", {}).get(key)
        if run is None:
            return None
        if what == "share":
            hello: Run | None = results.get("hello")
            return run.rps / hello.rps if hello and hello.rps else None
        return float(getattr(run, what))

    return get


def page_figures(page: Page) -> list[Figure]:
    p95 = Target("<", page.p95_ms, "ms") if page.p95_ms else None
    share = Target(">=", page.share, "%") if page.share else None
    return [
        Figure(f"{page.key}.rps", f"{page.label}: requests/s", "/s", _page(page.key, "rps")),
        Figure(f"{page.key}.p50", f"{page.label}: p50", "ms", _page(page.key, "p50"), digits=1),
        Figure(f"{page.key}.p95", f"{page.label}: p95", "ms", _page(page.key, "p95"), p95, 1),
        Figure(f"{page.key}.p99", f"{page.label}: p99", "ms", _page(page.key, "p99"), digits=1),
        Figure(f"{page.key}.share", f"{page.label}: share of bare Flask", "%",
               _page(page.key, "share"), share),
    ]  # fmt: skip


def _get(*path: str) -> Callable[[dict[str, Any]], float | None]:
    def get(results: dict[str, Any]) -> float | None:
        value: Any = results
        for part in path:
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if value is None:
                return None
        return float(value)

    return get


def _floor_share(results: dict[str, Any]) -> float | None:
    """The ceiling of any page's share: the stack floor's own share of bare Flask."""
    floor: Run | None = results.get("floor")
    hello: Run | None = results.get("hello")
    return floor.rps / hello.rps if floor and hello and hello.rps else None


OTHER_FIGURES = [
    Figure("hello.rps", "Bare Flask hello: requests/s", "/s", _get("hello", "rps")),
    Figure("floor.rps", "Stack floor (bench/floor.py: 2 reads, 1 audited write, 25 rows):"
           " requests/s", "/s", _get("floor", "rps")),
    Figure("floor.share", "  the stack floor's share of bare Flask", "%", _floor_share),
    Figure("floor.p95", "  the stack floor's p95", "ms", _get("floor", "p95"), digits=1),
    Figure("floor.rss", "  the stack floor's peak worker memory (no password hashing)", "MB",
           _get("floor", "extra", "rss_mb"), digits=1),
    Figure("filing.rps", "Filing with a 100 KB file: grievances/s", "/s", _get("filing", "rps"),
           Target(">=", 100), 1),
    Figure("filing.p95", "Filing with a 100 KB file: p95 of the POST", "ms", _get("filing", "p95"),
           digits=1),
    Figure("sweep.seconds", "flask sla sweep (open cases below)", "s", _get("sweep", "seconds"),
           Target("<", 10, "s"), 2),
    Figure("sweep.open", "  open cases the sweep checked", "", _get("sweep", "checked")),
    Figure("rotate.rate", "flask keys rotate: data keys/s", "/s", _get("rotate", "rate"),
           Target(">=", 5000)),
    Figure("rss.peak", "Peak memory of a gunicorn worker", "MB", _get("rss_mb"),
           Target("<", 150, "MB"), 1),
    Figure("rss.renderer", "  the PDF renderer, one a host for all workers (portal/pdf/server.py)",
           "MB", _get("renderer", "server_mb"), digits=1),
    Figure("rss.document", "  the largest of its processes, one a document (ends with it)", "MB",
           _get("renderer", "document_mb"), digits=1),
    Figure("ledger.chair_p95", f"KPI dashboard at {LEDGER_CASES:,} grievances (chair, 90 days,"
           " in process): p95", "ms", _get("ledger", "chair_p95"), Target("<", 300, "ms"), 1),
    Figure("ledger.year_p95", "  the same, an administrator over 12 months: p95", "ms",
           _get("ledger", "year_p95"), Target("<", 300, "ms"), 1),
    Figure("ledger.rows", "  ledger rows summed over two years", "", _get("ledger", "rows")),
    Figure("errors", "Failed requests in all runs", "", _get("errors"), Target("<=", 0)),
    Figure("cases", "Grievances in the database", "", _get("cases")),
    Figure("seed.rate", "Seeding: grievances/s (when the instance was made)", "/s",
           _get("seed", "rate")),
]  # fmt: skip


def all_figures() -> list[Figure]:
    return [f for page in PAGES for f in page_figures(page)] + OTHER_FIGURES


def _shown(value: float | None, figure: Figure) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "none done"  # no request finished within the run
    if figure.unit == "%":
        return f"{value:.1%}"
    return f"{value:,.{figure.digits}f}"


def verdict(figure: Figure, values: dict[str, float | None]) -> str:
    """Met or missed on the headline (PostgreSQL, else SQLite); a differing SQLite noted."""
    if figure.target is None:
        return ""
    judged = {b: figure.target.met(v) for b, v in values.items() if v is not None}
    if not judged:
        return "not measured"
    head = "postgresql" if "postgresql" in judged else "sqlite"
    text = "met" if judged[head] else "MISSED"
    if head == "postgresql" and "sqlite" in judged and judged["sqlite"] != judged[head]:
        text += " (SQLite " + ("met" if judged["sqlite"] else "missed") + ")"
    return text


def table_rows(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for figure in all_figures():
        values = {b: figure.value(results[b]) if b in results else None for b in BACKENDS}
        rows.append(
            {
                "key": figure.key,
                "figure": figure.label,
                "unit": figure.unit,
                **{b: _json_value(values[b]) for b in BACKENDS},
                **{f"{b}_shown": _shown(values[b], figure) for b in BACKENDS},
                "target": str(figure.target) if figure.target else "",
                "verdict": verdict(figure, values),
            }
        )
    return rows


def _json_value(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else value


def render_text(rows: list[dict[str, Any]]) -> str:
    head = ["Figure", *(HEADINGS[b] for b in BACKENDS), "Target", "Verdict"]
    body = [
        [r["figure"], *(r[f"{b}_shown"] for b in BACKENDS), r["target"], r["verdict"]] for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = []
    for i, line in enumerate([head, *body]):
        cells = [c.ljust(w) if j == 0 else c.rjust(w) if j <= 2 else c.ljust(w)
                 for j, (c, w) in enumerate(zip(line, widths, strict=True))]  # fmt: skip
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(
    rows: list[dict[str, Any]], meta: dict[str, Any], scaling: list[dict[str, Any]]
) -> str:
    out = [f"# Benchmark {meta['at']}", "", _meta_line(meta), ""]
    out.append("| Figure | PostgreSQL | SQLite | Target | Verdict |")
    out.append("|---|---:|---:|---|---|")
    out += [
        f"| {r['figure']} | {r['postgresql_shown']} | {r['sqlite_shown']} | {r['target']} | {r['verdict']} |"
        for r in rows
    ]
    if scaling:
        out += ["", "## Scaling on PostgreSQL (requests/s, CPU busy)", ""]
        out.append(
            "| Page | " + " | ".join(f"{w} worker{'s' * (w > 1)}" for w in _workers(scaling)) + " |"
        )
        out.append("|---|" + "---:|" * len(_workers(scaling)))
        out += [f"| {line} |" for line in scaling_lines(scaling)]
    return "\n".join(out) + "\n"


def _workers(scaling: list[dict[str, Any]]) -> list[int]:
    return sorted({s["workers"] for s in scaling})


def scaling_lines(scaling: list[dict[str, Any]]) -> list[str]:
    lines = []
    for page in PAGES:
        cells = []
        for w in _workers(scaling):
            got = next((s for s in scaling if s["page"] == page.key and s["workers"] == w), None)
            cells.append(f"{got['rps']:,.0f} ({got['cpu']:.0%})" if got else "—")
        lines.append(" | ".join([page.label, *cells]))
    return lines


def _meta_line(meta: dict[str, Any]) -> str:
    return (
        f"{meta['cases']:,} grievances; {meta['connections']} connections; median of "
        f"{meta['runs']} runs of {meta['seconds']} s; {meta['cpus']} cores; gunicorn "
        f"{meta['workers']} workers; load average at start {meta['load']}"
        + ("; QUICK mode" if meta.get("quick") else "")
    )


def write(
    rows: list[dict[str, Any]], meta: dict[str, Any], scaling: list[dict[str, Any]]
) -> list[Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    body = json.dumps({"meta": meta, "figures": rows, "scaling": scaling}, indent=1)
    markdown = render_markdown(rows, meta, scaling)
    paths = []
    for name in ("latest", stamp):
        for suffix, text in ((".json", body), (".md", markdown)):
            path = RESULTS / f"{name}{suffix}"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
    return paths
