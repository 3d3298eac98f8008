"""Network rules over probe results: HIGH_LOSS, HIGH_LATENCY, LOW_THROUGHPUT.

Pure functions ``(window, config, now_ns) -> {operator: [Sample]}``. A result is
attributed to the operator serving the site at its event time (pings and
throughput tests do not name one). Results from every target are pooled per
operator: one target of several failing shows as partial loss.

A site whose kit reaches the collector over a satellite or a wired line
(``window.backhaul``) is judged on that link: every result goes to the link's queue
(:func:`collector.rules.model.link_queue`), never to a mobile operator, and
HIGH_LATENCY and HIGH_LOSS take the backhaul's limits
(:meth:`collector.rules.config.RulesConfig.baseline`: a geostationary RTT of
500-700 ms is normal there).

Like the radio rules, each keeps per operator the results within its window and
their summary (median, exact mean, counts: :mod:`collector.rules.series`) and,
given a cursor, reads only the new results.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from collector.rules.config import RulesConfig
from collector.rules.model import UNKNOWN_OPERATOR, Figure, Sample, link_queue
from collector.rules.observations import Ping, Throughput
from collector.rules.series import (
    Cursor,
    ExactSum,
    SortedValues,
    WindowedCursor,
    add,
    sort_streams,
    unknown_in_window,
)
from collector.rules.window import SiteWindow

_S = 1_000_000_000

#: Ping outcomes that measure the network. Others (not permitted, error, skipped)
#: are the kit's business and give no sample.
_COUNTED = frozenset({"ok", "timeout", "unreachable", "unresolvable", "refused"})
#: Outcomes that mean "nothing came back" even when no packet was sent.
_TOTAL_LOSS = frozenset({"timeout", "unreachable", "unresolvable"})
#: Throughput outcomes that are no measurement (the data budget is not the network).
_NOT_MEASURED = frozenset({"skipped-budget", "not-permitted"})

Streams = dict[str, list[Sample]]
_R = TypeVar("_R", Ping, Throughput)


def _t(item: Ping | Throughput) -> int:
    return item.event_ns


@dataclass(slots=True)
class ProbeCursor(WindowedCursor, Generic[_R]):
    series: dict[str, deque[_R]] = field(default_factory=dict)


def _per_operator(
    window: SiteWindow,
    items: list[_R],
    cur: ProbeCursor[_R],
    *,
    keep: Callable[[_R], bool],
    window_s: float,
    enter: Callable[[str, _R], None],
    leave: Callable[[str, _R], None],
) -> Iterator[tuple[str, _R]]:
    """Per serving operator, each new result that ``keep`` accepts enters its
    operator's window (``enter``) and those no longer within ``window_s`` of it leave
    (``leave``); yields each with its operator, the summaries as of it."""
    start = 0 if cur.last_ns is None else bisect_right(items, cur.last_ns, key=_t)
    if items:
        cur.last_ns = items[-1].event_ns
    window_ns = int(window_s * _S)
    timeline = window.operators()
    queue = link_queue(window.backhaul)

    def walk() -> Iterator[tuple[str, _R]]:
        for i in range(start, len(items)):
            item = items[i]
            if not keep(item):
                continue
            operator = queue or item.operator or timeline.at(item.event_ns) or UNKNOWN_OPERATOR
            results = cur.series.get(operator)
            if results is None:
                results = cur.series[operator] = deque()
            results.append(item)
            enter(operator, item)
            while results[0].event_ns <= item.event_ns - window_ns:
                leave(operator, results.popleft())
            yield operator, item

    return walk()


def _counted(p: Ping) -> bool:
    return p.status in _COUNTED


def _timed(p: Ping) -> bool:
    return p.median_ms is not None


def _measured(t: Throughput) -> bool:
    return (
        t.status not in _NOT_MEASURED
        and t.goodput_bps is not None
        and t.direction in ("download", "upload")
    )


def on_link(window: SiteWindow, figures: dict[str, Figure]) -> dict[str, Figure]:
    """``figures``, naming the site's backhaul when it is not cellular."""
    if link_queue(window.backhaul) is not None:
        figures["backhaul"] = window.backhaul
    return figures


def unknown_possible(window: SiteWindow) -> bool:
    """Whether results may be nobody's ("unknown"): only on a mobile operator's link."""
    return link_queue(window.backhaul) is None


def round_loss(p: Ping) -> float:
    """A round's loss: a round that could not send (unreachable, unresolvable) lost all."""
    if p.status in _TOTAL_LOSS and p.sent == 0:
        return 1.0
    return p.loss_ratio


@dataclass(slots=True)
class LossCursor(ProbeCursor[Ping]):
    losses: dict[str, ExactSum] = field(default_factory=dict)
    targets: dict[str, Counter[str]] = field(default_factory=dict)


def high_loss(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
) -> tuple[Streams, Cursor]:
    """Bad: the mean loss of the rounds within ``window_s`` above ``max_loss_ratio``."""
    cfg = config.high_loss
    limit = config.baseline(window.backhaul).max_loss_ratio
    window_ns = int(cfg.window_s * _S)
    cur = cursor if isinstance(cursor, LossCursor) else LossCursor(reach_ns=window_ns)

    def enter(operator: str, p: Ping) -> None:
        cur.losses.setdefault(operator, ExactSum()).add(round_loss(p))
        cur.targets.setdefault(operator, Counter())[p.target] += 1

    def leave(operator: str, p: Ping) -> None:
        cur.losses[operator].remove(round_loss(p))
        targets = cur.targets[operator]
        targets[p.target] -= 1
        if not targets[p.target]:
            del targets[p.target]

    streams: Streams = {}
    walk = _per_operator(
        window,
        window.pings,
        cur,
        keep=_counted,
        window_s=cfg.window_s,
        enter=enter,
        leave=leave,
    )
    for operator, p in walk:
        if p.event_ns < from_ns:
            continue
        losses = cur.losses[operator]
        mean = losses.mean()
        figures: dict[str, Figure] = {
            "t_ns": p.event_ns,
            "operator": operator,
            "target": p.target,
            "status": p.status,
            "loss_ratio": round_loss(p),
            "mean_loss_ratio": round(mean, 4),
            "rounds": losses.count,
            "targets": ", ".join(sorted(cur.targets[operator])),
            "max_loss_ratio": limit,
            "window_s": cfg.window_s,
        }
        add(streams, operator, Sample(p.event_ns, mean > limit, on_link(window, figures)))
    unknown = unknown_possible(window) and unknown_in_window(window, window.pings, _counted)
    return sort_streams(streams, unknown), cur


@dataclass(slots=True)
class MedianCursor(ProbeCursor[_R]):
    values: dict[tuple[str, str], SortedValues] = field(default_factory=dict)

    def of(self, operator: str, part: str = "") -> SortedValues:
        values = self.values.get((operator, part))
        if values is None:
            values = self.values[(operator, part)] = SortedValues()
        return values


def high_latency(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
) -> tuple[Streams, Cursor]:
    """Bad: the median of the rounds' median RTT within ``window_s`` above ``max_rtt_ms``."""
    cfg = config.high_latency
    limit = config.baseline(window.backhaul).max_rtt_ms
    window_ns = int(cfg.window_s * _S)
    cur: MedianCursor[Ping] = (
        cursor if isinstance(cursor, MedianCursor) else MedianCursor(reach_ns=window_ns)
    )

    def enter(operator: str, p: Ping) -> None:
        assert p.median_ms is not None
        cur.of(operator).add(p.median_ms)

    def leave(operator: str, p: Ping) -> None:
        assert p.median_ms is not None
        cur.of(operator).remove(p.median_ms)

    streams: Streams = {}
    walk = _per_operator(
        window,
        window.pings,
        cur,
        keep=_timed,
        window_s=cfg.window_s,
        enter=enter,
        leave=leave,
    )
    for operator, p in walk:
        if p.event_ns < from_ns:
            continue
        values = cur.of(operator)
        rtt = values.median()
        assert rtt is not None
        figures: dict[str, Figure] = {
            "t_ns": p.event_ns,
            "operator": operator,
            "target": p.target,
            "median_ms": p.median_ms,
            "window_median_ms": rtt,
            "rounds": len(values),
            "max_rtt_ms": limit,
            "window_s": cfg.window_s,
        }
        add(streams, operator, Sample(p.event_ns, rtt > limit, on_link(window, figures)))
    unknown = unknown_possible(window) and unknown_in_window(window, window.pings, _timed)
    return sort_streams(streams, unknown), cur


def low_throughput(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
) -> tuple[Streams, Cursor]:
    """Bad: a direction's median goodput within ``window_s`` below its floor. Skipped
    tests (data budget spent) and tests without a goodput are no sample."""
    cfg = config.low_throughput
    floors = {"download": cfg.min_download_bps, "upload": cfg.min_upload_bps}
    cur: MedianCursor[Throughput] = cursor if isinstance(cursor, MedianCursor) else MedianCursor()

    def measured(t: Throughput) -> bool:
        return t.status not in _NOT_MEASURED and t.goodput_bps is not None and t.direction in floors

    def enter(operator: str, t: Throughput) -> None:
        assert t.goodput_bps is not None and t.direction is not None
        cur.of(operator, t.direction).add(t.goodput_bps)

    def leave(operator: str, t: Throughput) -> None:
        assert t.goodput_bps is not None and t.direction is not None
        cur.of(operator, t.direction).remove(t.goodput_bps)

    streams: Streams = {}
    walk = _per_operator(
        window,
        window.throughputs,
        cur,
        keep=measured,
        window_s=cfg.window_s,
        enter=enter,
        leave=leave,
    )
    for operator, t in walk:
        if t.event_ns < from_ns:
            continue
        figures: dict[str, Figure] = {
            "t_ns": t.event_ns,
            "operator": operator,
            "direction": t.direction,
            "goodput_bps": t.goodput_bps,
            "window_s": cfg.window_s,
        }
        bad = False
        for direction, floor in floors.items():
            values = cur.of(operator, direction)
            level = values.median()
            figures[f"median_{direction}_bps"] = level
            figures[f"{direction}_tests"] = len(values)
            figures[f"min_{direction}_bps"] = floor
            bad = bad or (level is not None and level < floor)
        add(streams, operator, Sample(t.event_ns, bad, on_link(window, figures)))
    unknown = unknown_possible(window) and unknown_in_window(window, window.throughputs, _measured)
    return sort_streams(streams, unknown), cur
