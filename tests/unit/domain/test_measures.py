"""Working-hour bins and the percentiles read from them."""

from __future__ import annotations

import pytest

from portal.domain.measures import BINS, EDGES, bin_of, groups, percentile


def counts(*values: float) -> list[int]:
    found = [0] * BINS
    for value in values:
        found[bin_of(value)] += 1
    return found


def test_each_value_falls_in_the_bin_whose_lower_edge_it_reaches():
    assert bin_of(0) == 0 and bin_of(0.2) == 0 and bin_of(0.25) == 1
    assert EDGES[bin_of(7.99)] == 7 and EDGES[bin_of(8)] == 8
    assert bin_of(10_000) == BINS - 1
    with pytest.raises(ValueError):
        bin_of(-1)


def test_a_percentile_is_interpolated_inside_its_bin():
    # Four values in [8, 10): the median is half way through the bin.
    assert percentile(counts(8, 8.5, 9, 9.5), 0.5) == pytest.approx(9.0)
    # 1, 3, 4, 10, 20: rank 2.5 of 5 is half way into [4, 5); rank 4.5 half way into [20, 24).
    spread = counts(1, 3, 4, 10, 20)
    assert percentile(spread, 0.5) == pytest.approx(4.5)
    assert percentile(spread, 0.9) == pytest.approx(22.0)
    assert percentile(counts(), 0.5) is None
    assert percentile(counts(5000), 0.5) == EDGES[-1]  # the open top bin answers its edge


def test_display_groups_cover_every_bin_once():
    found = groups((0, 8, 16, 40))
    assert [(g.low, g.high) for g in found] == [(0, 8), (8, 16), (16, 40), (40, None)]
    covered = [i for g in found for i in range(g.first, g.last + 1)]
    assert covered == list(range(BINS))
