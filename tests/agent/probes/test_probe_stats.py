"""Ping round statistics over per-packet RTTs (None = lost)."""

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.probes.stats import RttStats, loss_reason, rtt_statistics


def test_all_received() -> None:
    stats = rtt_statistics([10.0, 20.0, 15.0, 30.0])
    assert stats.sent == 4
    assert stats.received == 4
    assert stats.loss_ratio == 0.0
    assert stats.min_ms == 10.0
    assert stats.max_ms == 30.0
    assert stats.median_ms == 17.5
    assert stats.avg_ms == 18.75
    # population standard deviation, like ping's mdev
    assert stats.stddev_ms == pytest.approx(
        math.sqrt(((8.75**2) + 1.25**2 + 3.75**2 + 11.25**2) / 4)
    )
    # |20-10| + |15-20| + |30-15| = 30, over 3 pairs
    assert stats.jitter_ms == pytest.approx(10.0)


def test_losses_are_skipped_for_jitter_and_count_for_loss() -> None:
    stats = rtt_statistics([10.0, None, 14.0, None, 11.0])
    assert (stats.sent, stats.received) == (5, 3)
    assert stats.loss_ratio == pytest.approx(0.4)
    assert stats.min_ms == 10.0
    assert stats.median_ms == 11.0
    assert stats.avg_ms == pytest.approx(35.0 / 3)
    # consecutive *received* packets: |14-10| + |11-14| = 7, over 2 pairs
    assert stats.jitter_ms == pytest.approx(3.5)


def test_one_packet() -> None:
    stats = rtt_statistics([42.5])
    assert stats == RttStats(1, 1, 0.0, 42.5, 42.5, 42.5, 42.5, 0.0, None)


def test_one_received_among_losses_has_no_jitter() -> None:
    stats = rtt_statistics([None, 7.0, None])
    assert stats == RttStats(3, 1, 2 / 3, 7.0, 7.0, 7.0, 7.0, 0.0, None)


def test_all_lost() -> None:
    stats = rtt_statistics([None] * 5)
    assert stats == RttStats(5, 0, 1.0, None, None, None, None, None, None)


def test_nothing_sent_counts_as_all_lost() -> None:
    assert rtt_statistics([]) == RttStats(0, 0, 1.0, None, None, None, None, None, None)


def test_loss_reason() -> None:
    assert loss_reason(5, 0) == "100% packet loss (5/5)"
    assert loss_reason(4, 3) == "25% packet loss (1/4)"
    assert loss_reason(3, 2) == "33.3333% packet loss (1/3)"
    assert loss_reason(0, 0) == "100% packet loss (0/0)"


rtts = st.lists(st.one_of(st.none(), st.floats(0.001, 60_000.0)), min_size=1, max_size=100)


@given(rtts)
def test_invariants(values: list[float | None]) -> None:
    stats = rtt_statistics(values)
    got = [v for v in values if v is not None]
    assert stats.sent == len(values)
    assert stats.received == len(got)
    assert stats.loss_ratio == pytest.approx(1 - len(got) / len(values))
    if not got:
        assert stats.min_ms is None and stats.jitter_ms is None
        return
    assert stats.min_ms is not None and stats.max_ms is not None
    assert stats.median_ms is not None and stats.avg_ms is not None
    assert stats.min_ms <= stats.median_ms <= stats.max_ms
    assert stats.min_ms - 1e-6 <= stats.avg_ms <= stats.max_ms + 1e-6
    assert stats.stddev_ms == pytest.approx(statistics.pstdev(got))
    if len(got) < 2:
        assert stats.jitter_ms is None
    else:
        assert stats.jitter_ms is not None
        assert 0 <= stats.jitter_ms <= stats.max_ms - stats.min_ms + 1e-6
