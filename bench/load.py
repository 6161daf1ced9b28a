"""Load generators: wrk for pages (a Lua script rotating paths and session cookies), and a
Python client in separate processes for filing (each filing needs fresh form tokens).

Each run reports requests per second, latency percentiles, errors and the machine's CPU use
over the run (from /proc/stat), so a lock that caps throughput shows as idle CPU.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import COOKIE, Client, form_tokens

CONNECTIONS = 16
EVIDENCE = (b"Statement of account, bench copy. Dues line repeated on each page.\n" * 1600)[
    : 100 * 1024
]


@dataclass
class Run:
    """One timed run."""

    rps: float
    # Milliseconds; infinite when no request finished within the run (each took longer).
    p50: float
    p95: float
    p99: float
    requests: int
    errors: int
    cpu: float  # share of all cores busy during the run, 0..1
    extra: dict[str, float] = field(default_factory=dict)


# What wrk counts as a failed request, kept apart so that a run's errors say what they were.
ERROR_KINDS = ("connect", "read", "write", "timeout", "status")


def median_run(runs: list[Run]) -> Run:
    """The median of each figure over the runs (they may come from different runs)."""
    med = statistics.median
    return Run(
        rps=med(r.rps for r in runs),
        p50=med(r.p50 for r in runs),
        p95=med(r.p95 for r in runs),
        p99=med(r.p99 for r in runs),
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
        cpu=med(r.cpu for r in runs),
        extra={k: v for k in ERROR_KINDS if (v := sum(r.extra.get(k, 0) for r in runs))},
    )


class CpuMeter:
    """Busy share of all cores between start() and stop(), from /proc/stat."""

    @staticmethod
    def _sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields[:8]), idle

    def start(self) -> None:
        self.begin = self._sample()

    def stop(self) -> float:
        total, idle = self._sample()
        d_total, d_idle = total - self.begin[0], idle - self.begin[1]
        return 1 - d_idle / d_total if d_total else 0.0


# --- wrk ----------------------------------------------------------------------------------

LUA = """
local requests = %(requests)s
local i = 0
function init(args)
  i = math.random(#requests)
end
function request()
  i = i %% #requests + 1
  local r = requests[i]
  if r[2] == "" then
    return wrk.format("GET", r[1])
  end
  return wrk.format("GET", r[1], {["Cookie"] = "%(cookie)s=" .. r[2]})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%%d,"duration":%%d,"connect":%%d,"read":%%d,"write":%%d,"timeout":%%d,'
    .. '"status":%%d,"p50":%%d,"p95":%%d,"p99":%%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk(
    base_url: str,
    targets: list[tuple[str, str]],
    seconds: float,
    connections: int = CONNECTIONS,
    threads: int = 2,
) -> Run:
    """`targets`: (path, session cookie or "") pairs, requested in turn by every connection."""
    table = "{" + ",".join(f"{{{_lua_string(p)},{_lua_string(c)}}}" for p, c in targets) + "}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"requests": table, "cookie": COOKIE})
    meter = CpuMeter()
    meter.start()
    done = subprocess.run(  # noqa: S603 - wrk from the system
        [
            shutil.which("wrk") or "wrk",
            f"-t{min(threads, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            script.name,
            base_url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    cpu = meter.stop()
    Path(script.name).unlink()
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {done.stderr.strip() or done.stdout.strip()}")
    got = json.loads(line[6:])
    none = got["requests"] == 0
    return Run(
        rps=got["requests"] / (got["duration"] / 1e6),
        p50=math.inf if none else got["p50"] / 1000,
        p95=math.inf if none else got["p95"] / 1000,
        p99=math.inf if none else got["p99"] / 1000,
        requests=got["requests"],
        errors=sum(got[kind] for kind in ERROR_KINDS),
        cpu=cpu,
        extra={kind: got[kind] for kind in ERROR_KINDS if got[kind]},
    )


# --- filing, from separate Python processes ---------------------------------------------


def _filer(base_url: str, cookie: str, start: float, stop: float, n: int, out) -> None:  # type: ignore[no-untyped-def]
    client = Client(base_url, cookies={COOKIE: cookie})
    posts: list[float] = []
    filed = errors = 0
    while time.time() < start:
        time.sleep(0.005)
    while time.time() < stop:
        try:
            page = client.get("/grievances/new")
            if page.status != 200:
                errors += 1
                continue
            fields = {
                **form_tokens(page.text),
                "action": "submit",
                "category": "billing",
                "subject": f"Charged twice for dues ({n}-{filed})",
                "narrative": "My card was charged twice for the annual dues. " * 20,
                "desired_outcome": "A refund of the second charge.",
            }
            began = time.perf_counter()
            sent = client.post_multipart(
                "/grievances/new", fields, [("evidence", "statement.txt", EVIDENCE, "text/plain")]
            )
            took = time.perf_counter() - began
            if sent.status == 303 and "/acknowledgement" in sent.headers.get("location", ""):
                filed += 1
                posts.append(took)
            else:
                errors += 1
        except OSError:
            errors += 1
            client.close()
    client.close()
    out.put((filed, errors, posts))


def filing(base_url: str, cookies: list[str], seconds: float) -> Run:
    """Members filing with a 100 KB evidence file, one process per connection; requests per
    second is grievances filed per second (each after opening the form), latency the POST's."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start = time.time() + 1.0
    stop = start + seconds
    procs = [
        ctx.Process(target=_filer, args=(base_url, cookies[i % len(cookies)], start, stop, i, out))
        for i in range(CONNECTIONS)
    ]
    for proc in procs:
        proc.start()
    meter = CpuMeter()
    time.sleep(max(0.0, start - time.time()))
    meter.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    cpu = meter.stop()
    for proc in procs:
        proc.join()
    filed = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    posts = sorted(t for r in results for t in r[2])
    if not posts:
        return Run(0.0, math.inf, math.inf, math.inf, 0, errors, cpu)

    def pct(q: float) -> float:
        return posts[min(len(posts) - 1, int(q * len(posts)))] * 1000

    return Run(filed / seconds, pct(0.50), pct(0.95), pct(0.99), filed, errors, cpu)


def peak_rss_mb(pids: list[int]) -> float:
    """The largest peak resident size (VmHWM) among these processes, in MB."""
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak / 1024


class RendererWatch:
    """The PDF renderer's memory while pages run: the server's own peak, and the largest of
    the processes it forks, one a document (they live a tenth of a second to a second, so
    their peaks are sampled every 10 ms; each is its VmHWM, so a late sample still sees it)."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self.server_mb = 0.0
        self.document_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RendererWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        from portal.pdf.renderer import renderer_pid

        server: int | None = None
        looked = 0.0
        while not self._stop.wait(0.01):
            if time.monotonic() - looked > 1:  # the server is looked up once a second
                server, looked = renderer_pid(self.socket), time.monotonic()
            if server is None:
                continue
            self.server_mb = max(self.server_mb, peak_rss_mb([server]))
            with contextlib.suppress(OSError):
                children = Path(f"/proc/{server}/task/{server}/children").read_text()
                pids = [int(pid) for pid in children.split()]
                self.document_mb = max(self.document_mb, peak_rss_mb(pids))
