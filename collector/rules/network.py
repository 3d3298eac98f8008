"""Network rules over probe results: HIGH_LOSS, HIGH_LATENCY, LOW_THROUGHPUT.

Pure functions ``(window, config, now_ns) -> {operator: [Sample]}``. A result is
attributed to the operator serving the site at its event time (pings and
throughput tests do not name one). Results from every target are pooled per
operator: one target of several failing shows as partial loss.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from collector.rules.config import RulesConfig
from collector.rules.model import UNKNOWN_OPERATOR, Figure, Sample
from collector.rules.observations import Ping, Throughput
from collector.rules.series import add, median_of, sliding, sort_streams
from collector.rules.window import SiteWindow

_S = 1_000_000_000

#: Ping outcomes that measure the network. Others (not permitted, error, skipped)
#: are the kit's business and give no sample.
_COUNTED = frozenset({"ok", "timeout", "unreachable", "unresolvable", "refused"})
#: Outcomes that mean "nothing came back" even when no packet was sent.
_TOTAL_LOSS = frozenset({"timeout", "unreachable", "unresolvable"})
#: Throughput outcomes that are no measurement (the data budget is not the network).
_NOT_MEASURED = frozenset({"skipped-budget", "not-permitted"})


def _by_operator(
    window: SiteWindow, items: list[Ping] | list[Throughput]
) -> dict[str, list[Ping | Throughput]]:
    timeline = window.operators()
    groups: dict[str, list[Ping | Throughput]] = {}
    for item in items:
        operator = item.operator or timeline.at(item.event_ns) or UNKNOWN_OPERATOR
        groups.setdefault(operator, []).append(item)
    return groups


def _t(item: Ping | Throughput) -> int:
    return item.event_ns


_R = TypeVar("_R", Ping, Throughput)


def _per_operator(
    window: SiteWindow, items: list[_R], kind: type[_R], window_s: float, from_ns: int
) -> Iterator[tuple[str, _R, list[_R]]]:
    """Per serving operator, each result from ``from_ns`` on, with the results within
    ``window_s`` up to it (itself included)."""
    window_ns = int(window_s * _S)
    for operator, results in _by_operator(window, items).items():
        for item, win in sliding(results, _t, window_ns):
            if item.event_ns < from_ns:
                continue
            assert isinstance(item, kind)
            yield operator, item, [r for r in win if isinstance(r, kind)]


def round_loss(p: Ping) -> float:
    """A round's loss: a round that could not send (unreachable, unresolvable) lost all."""
    if p.status in _TOTAL_LOSS and p.sent == 0:
        return 1.0
    return p.loss_ratio


def high_loss(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad: the mean loss of the rounds within ``window_s`` above ``max_loss_ratio``."""
    cfg = config.high_loss
    pings = [p for p in window.pings if p.status in _COUNTED]
    streams: dict[str, list[Sample]] = {}
    for operator, p, win in _per_operator(window, pings, Ping, cfg.window_s, from_ns):
        losses = [round_loss(r) for r in win]
        mean = sum(losses) / len(losses)
        figures: dict[str, Figure] = {
            "t_ns": p.event_ns,
            "operator": operator,
            "target": p.target,
            "status": p.status,
            "loss_ratio": round_loss(p),
            "mean_loss_ratio": round(mean, 4),
            "rounds": len(losses),
            "targets": ", ".join(sorted({r.target for r in win})),
            "max_loss_ratio": cfg.max_loss_ratio,
            "window_s": cfg.window_s,
        }
        add(streams, operator, Sample(p.event_ns, mean > cfg.max_loss_ratio, figures))
    return sort_streams(streams)


def high_latency(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad: the median of the rounds' median RTT within ``window_s`` above ``max_rtt_ms``."""
    cfg = config.high_latency
    pings = [p for p in window.pings if p.median_ms is not None]
    streams: dict[str, list[Sample]] = {}
    for operator, p, win in _per_operator(window, pings, Ping, cfg.window_s, from_ns):
        rtt, count = median_of([r.median_ms for r in win])
        assert rtt is not None
        figures: dict[str, Figure] = {
            "t_ns": p.event_ns,
            "operator": operator,
            "target": p.target,
            "median_ms": p.median_ms,
            "window_median_ms": rtt,
            "rounds": count,
            "max_rtt_ms": cfg.max_rtt_ms,
            "window_s": cfg.window_s,
        }
        add(streams, operator, Sample(p.event_ns, rtt > cfg.max_rtt_ms, figures))
    return sort_streams(streams)


def low_throughput(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad: a direction's median goodput within ``window_s`` below its floor. Skipped
    tests (data budget spent) and tests without a goodput are no sample."""
    cfg = config.low_throughput
    floors = {"download": cfg.min_download_bps, "upload": cfg.min_upload_bps}
    tests = [
        t
        for t in window.throughputs
        if t.status not in _NOT_MEASURED and t.goodput_bps is not None and t.direction in floors
    ]
    streams: dict[str, list[Sample]] = {}
    for operator, t, win in _per_operator(window, tests, Throughput, cfg.window_s, from_ns):
        figures: dict[str, Figure] = {
            "t_ns": t.event_ns,
            "operator": operator,
            "direction": t.direction,
            "goodput_bps": t.goodput_bps,
            "window_s": cfg.window_s,
        }
        bad = False
        for direction, floor in floors.items():
            level, count = median_of([r.goodput_bps for r in win if r.direction == direction])
            figures[f"median_{direction}_bps"] = level
            figures[f"{direction}_tests"] = count
            figures[f"min_{direction}_bps"] = floor
            bad = bad or (level is not None and level < floor)
        add(streams, operator, Sample(t.event_ns, bad, figures))
    return sort_streams(streams)
