"""What the dashboard counts, as pure rules: working-hour bins and percentiles read from them.

The daily ledger (models/kpi_ledger.py) keeps, per day and per kind of case, how many first
responses and decisions took each span of working time. A percentile is then read from the
summed counts by linear interpolation inside the bin that holds it (the "grouped median"
of textbooks), so it costs the same over a week or two years. Bins are narrow where the
targets are (quarter hours up to one hour, a working day's eighths up to a day, half days up
to a week), so the estimate is within a few percent of the exact value where it matters.

    bin_of(hours) -> int
    percentile(counts, share) -> float | None
    hours(delta) -> float
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

# Lower edges of the bins, in working hours; the last bin is open-ended.
EDGES: tuple[float, ...] = (
    0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 6, 7, 8,  # the first working day
    10, 12, 14, 16, 20, 24, 28, 32, 36, 40,  # to a working week
    48, 56, 64, 72, 80, 96, 112, 120, 136, 160,  # to four weeks
    200, 240, 320, 400, 480, 640, 800,
)  # fmt: skip
BINS = len(EDGES)
# A case that repeats another of the same member and kind filed this many days before.
REPEAT_WINDOW = timedelta(days=90)
# The days before and after a corrective action compared in the register.
EFFECT_WINDOW_DAYS = 90


def hours(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.0) / 3600


def bin_of(value: float) -> int:
    """The bin holding `value` working hours: edges[i] <= value < edges[i + 1]."""
    if not math.isfinite(value) or value < 0:
        raise ValueError("working hours must be a finite, non-negative number")
    low, high = 0, BINS - 1
    while low < high:  # the last edge not above value
        mid = (low + high + 1) // 2
        if EDGES[mid] <= value:
            low = mid
        else:
            high = mid - 1
    return low


def upper_edge(index: int) -> float | None:
    return EDGES[index + 1] if index + 1 < BINS else None


def percentile(counts: Sequence[int], share: float) -> float | None:
    """The `share` (0.5 for the median) percentile of the values counted in `counts`.

    Inside the bin that holds it, values are taken as spread evenly: with N values, F of them
    in bins below and f in that bin of width w from L, the estimate is L + (share·N - F)/f · w.
    The open top bin answers its lower edge. None when nothing was counted."""
    if len(counts) != BINS:
        raise ValueError(f"expected {BINS} bins, got {len(counts)}")
    total = sum(counts)
    if total <= 0:
        return None
    wanted = share * total
    below = 0
    for index, count in enumerate(counts):
        if count and below + count >= wanted:
            top = upper_edge(index)
            if top is None:
                return EDGES[index]
            return EDGES[index] + (wanted - below) / count * (top - EDGES[index])
        below += count
    return EDGES[-1]  # unreachable: the loop ends on the last non-empty bin


@dataclass(frozen=True)
class Group:
    """Bins shown together in the resolution-time chart: [low, high) working hours."""

    low: float
    high: float | None
    first: int  # the first bin of the group
    last: int  # the last bin of the group


def groups(bounds: Sequence[float]) -> list[Group]:
    """Display groups whose bounds are bin edges: (0, 8, 16) -> [0, 8), [8, 16), [16, ...)."""
    found = []
    edges = [*bounds, None]
    for low, high in itertools.pairwise(edges):
        if low is None:
            break
        first = EDGES.index(low)
        last = (EDGES.index(high) - 1) if high is not None else BINS - 1
        found.append(Group(low, high, first, last))
    return found
