"""Ping round statistics (SmokePing / RIPE Atlas style), pure functions over per-packet RTTs."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

__all__ = ["RttStats", "loss_reason", "rtt_statistics"]


@dataclass(frozen=True, slots=True)
class RttStats:
    sent: int
    received: int
    loss_ratio: float  # 0.0 .. 1.0; 1.0 when nothing could be sent
    min_ms: float | None  # the statistics are None when nothing came back
    median_ms: float | None
    avg_ms: float | None
    max_ms: float | None
    stddev_ms: float | None  # population standard deviation (ping's "mdev")
    jitter_ms: float | None  # None with fewer than two replies


def rtt_statistics(rtts_ms: Sequence[float | None]) -> RttStats:
    """Statistics over one round; ``rtts_ms`` holds one entry per sent packet, in send order,
    ``None`` for a lost packet.

    Jitter is the mean absolute difference of consecutive RTTs of the received packets, in
    send order (lost packets are skipped, not counted as zero): RFC 3550 style, unsmoothed.
    """
    sent = len(rtts_ms)
    got = [rtt for rtt in rtts_ms if rtt is not None]
    received = len(got)
    loss_ratio = 1.0 if sent == 0 else (sent - received) / sent
    if not got:
        return RttStats(sent, 0, loss_ratio, None, None, None, None, None, None)
    jitter = None
    if received >= 2:
        jitter = statistics.fmean(abs(b - a) for a, b in pairwise(got))
    return RttStats(
        sent=sent,
        received=received,
        loss_ratio=loss_ratio,
        min_ms=min(got),
        median_ms=statistics.median(got),
        avg_ms=statistics.fmean(got),
        max_ms=max(got),
        stddev_ms=statistics.pstdev(got),
        jitter_ms=jitter,
    )


def loss_reason(sent: int, received: int) -> str:
    """``"100% packet loss (5/5)"``: the lost share, then lost/sent."""
    lost = sent - received
    percent = 100.0 * lost / sent if sent else 100.0
    return f"{percent:g}% packet loss ({lost}/{sent})"
