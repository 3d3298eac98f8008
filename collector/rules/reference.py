"""The rules as brute force: every windowed figure recomputed from the whole window.

This is how the rules were computed before their windows were summarised
incrementally (:mod:`collector.rules.radio`, :mod:`collector.rules.network`,
:mod:`collector.rules.kit`): each verdict's median or mean over every reading in
its window, every window rebuilt at each evaluation. It is kept as the reference
the incremental rules are property-tested against and as the "before" of
``python -m bench.rules``; ``RuleEngine(reference=True)`` judges with it. Same
signature as the registry's rules, without the cursor: ``(window, config, now_ns,
from_ns) -> {operator or queue: [Sample]}``.

One change from before: WEAK_SIGNAL and POOR_QUALITY give an operator's samples in
the window's order (by event time, then as stored), where they were grouped by RAT
family first; it shows only when one operator has readings of two RAT families at
the same event time, and the incremental rules do the same.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from statistics import median
from typing import TypeVar

from collector.rules.config import RulesConfig
from collector.rules.kit import agent_silent as _agent_silent_cursor
from collector.rules.model import (
    FIELD_TEAM,
    SATELLITE,
    UNKNOWN_OPERATOR,
    Figure,
    ProblemName,
    Sample,
    link_queue,
)
from collector.rules.network import _COUNTED, _NOT_MEASURED, on_link, round_loss
from collector.rules.observations import KitEvent, Ping, Signal, Throughput
from collector.rules.radio import LEVEL_BY_RAT
from collector.rules.series import SIM_FAULT, add, has_service, signal_figures, sort_streams
from collector.rules.window import SiteWindow

T = TypeVar("T")
_S = 1_000_000_000


def sliding(
    items: Sequence[T], t_of: Callable[[T], int], window_ns: int
) -> Iterator[tuple[T, deque[T]]]:
    """Each item (sorted by time) with the items within ``window_ns`` up to it,
    itself included (the window ``(t - window_ns, t]``)."""
    win: deque[T] = deque()
    for item in items:
        t = t_of(item)
        win.append(item)
        while t_of(win[0]) <= t - window_ns:
            win.popleft()
        yield item, win


def median_of(values: Sequence[float | None]) -> tuple[float | None, int]:
    present = [v for v in values if v is not None]
    return (median(present) if present else None), len(present)


def _operator(s: Signal, window: SiteWindow) -> str:
    return s.operator or window.operators().at(s.event_ns) or UNKNOWN_OPERATOR


def no_service(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad: not registered or no serving cell; healthy: registered with a cell."""
    streams: dict[str, list[Sample]] = {}
    timeline = window.operators()
    for s in window.signals:
        service = has_service(s)
        if service is None or s.event_ns < from_ns:
            continue
        figures = signal_figures(s, timeline)
        add(streams, _operator(s, window), Sample(s.event_ns, not service, figures))
    return sort_streams(streams)


def _groups(window: SiteWindow, families: set[str]) -> dict[tuple[str, str], list[Signal]]:
    """Readings with service, by (operator, RAT family)."""
    groups: dict[tuple[str, str], list[Signal]] = {}
    for s in window.signals:
        level = LEVEL_BY_RAT.get(s.rat or "")
        if level is None or level[0] not in families or has_service(s) is not True:
            continue
        groups.setdefault((_operator(s, window), level[0]), []).append(s)
    return groups


def _t_signal(s: Signal) -> int:
    return s.event_ns


def _first(tagged: tuple[int, str, Sample]) -> int:
    return tagged[0]


def weak_signal(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad: the windowed median level of the serving RAT below its threshold."""
    cfg = config.weak_signal
    floors = {
        "lte": cfg.lte_min_rsrp_dbm,
        "nr": cfg.nr_min_rsrp_dbm,
        "umts": cfg.umts_min_rscp_dbm,
        "gsm": cfg.gsm_min_rssi_dbm,
    }
    window_ns = int(cfg.window_s * _S)
    timeline = window.operators()
    streams: dict[str, list[Sample]] = {}
    tagged: list[tuple[int, str, Sample]] = []
    position = {id(s): i for i, s in enumerate(window.signals)}
    for (operator, family), readings in _groups(window, set(floors)).items():
        metric = LEVEL_BY_RAT[readings[0].rat or ""][1]
        for s, win in sliding(readings, _t_signal, window_ns):
            if s.event_ns < from_ns:
                continue
            value = getattr(s, metric)
            if value is None:
                continue
            level, count = median_of([getattr(r, metric) for r in win])
            assert level is not None
            figures = signal_figures(s, timeline)
            figures.update(
                {
                    metric: value,
                    f"median_{metric}": level,
                    "readings": count,
                    "threshold_dbm": floors[family],
                    "window_s": cfg.window_s,
                }
            )
            sample = Sample(s.event_ns, level < floors[family], figures)
            tagged.append((position[id(s)], operator, sample))
    for _, operator, sample in sorted(tagged, key=_first):
        add(streams, operator, sample)
    return sort_streams(streams)


def poor_quality(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad: windowed median SINR or RSRQ (LTE/NR) or Ec/Io (UMTS) below its floor."""
    cfg = config.poor_quality
    floors: dict[str, dict[str, float]] = {
        "lte": {"sinr_db": cfg.min_sinr_db, "rsrq_db": cfg.min_rsrq_db},
        "nr": {"sinr_db": cfg.min_sinr_db, "rsrq_db": cfg.min_rsrq_db},
        "umts": {"ecio_db": cfg.umts_min_ecio_db},
    }
    window_ns = int(cfg.window_s * _S)
    timeline = window.operators()
    streams: dict[str, list[Sample]] = {}
    tagged: list[tuple[int, str, Sample]] = []
    position = {id(s): i for i, s in enumerate(window.signals)}
    for (operator, family), readings in _groups(window, set(floors)).items():
        limits = floors[family]
        for s, win in sliding(readings, _t_signal, window_ns):
            if s.event_ns < from_ns:
                continue
            if all(getattr(s, m) is None for m in limits):
                continue
            figures: dict[str, Figure] = signal_figures(s, timeline)
            bad = False
            for metric, floor in limits.items():
                level, _ = median_of([getattr(r, metric) for r in win])
                figures[metric] = getattr(s, metric)
                figures[f"median_{metric}"] = level
                figures[f"min_{metric}"] = floor
                bad = bad or (level is not None and level < floor)
            figures["readings"] = len(win)
            figures["window_s"] = cfg.window_s
            tagged.append((position[id(s)], operator, Sample(s.event_ns, bad, figures)))
    for _, operator, sample in sorted(tagged, key=_first):
        add(streams, operator, sample)
    return sort_streams(streams)


def no_coverage(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad (key "satellite"): no reading of any operator had service within the trailing
    ``coverage_window_s``; no verdict until the window has that much history. Not at
    a site whose kit has a link of its own (satellite, wired)."""
    if link_queue(window.backhaul) is not None:
        return {}
    cfg = config.no_coverage
    span_ns = int(cfg.coverage_window_s * _S)
    timeline = window.operators()
    seen = ", ".join(timeline.seen()) or "none"
    samples: list[Sample] = []
    first_ns: int | None = None
    last_service_ns: int | None = None
    for s in window.signals:
        service = has_service(s)
        if service is None:
            continue
        if first_ns is None:
            first_ns = s.event_ns
        if service:
            last_service_ns = s.event_ns
        since = first_ns if last_service_ns is None else last_service_ns
        if not service and s.event_ns - since < span_ns and last_service_ns is None:
            continue  # not enough history to say no operator works here
        if s.event_ns < from_ns:
            continue
        bad = not service and s.event_ns - since >= span_ns
        figures = signal_figures(s, timeline)
        figures.update(
            {
                "operators_seen": seen,
                "last_service_ns": last_service_ns,
                "without_service_s": None if service else (s.event_ns - since) / _S,
            }
        )
        samples.append(Sample(s.event_ns, bad, figures))
    return {SATELLITE: samples} if samples else {}


def _by_operator(
    window: SiteWindow, items: list[Ping] | list[Throughput]
) -> dict[str, list[Ping | Throughput]]:
    timeline = window.operators()
    queue = link_queue(window.backhaul)
    groups: dict[str, list[Ping | Throughput]] = {}
    for item in items:
        operator = queue or item.operator or timeline.at(item.event_ns) or UNKNOWN_OPERATOR
        groups.setdefault(operator, []).append(item)
    return groups


def _t_probe(item: Ping | Throughput) -> int:
    return item.event_ns


_R = TypeVar("_R", Ping, Throughput)


def _per_operator(
    window: SiteWindow, items: list[_R], kind: type[_R], window_s: float, from_ns: int
) -> Iterator[tuple[str, _R, list[_R]]]:
    """Per serving operator, each result from ``from_ns`` on, with the results within
    ``window_s`` up to it (itself included)."""
    window_ns = int(window_s * _S)
    for operator, results in _by_operator(window, items).items():
        for item, win in sliding(results, _t_probe, window_ns):
            if item.event_ns < from_ns:
                continue
            assert isinstance(item, kind)
            yield operator, item, [r for r in win if isinstance(r, kind)]


def high_loss(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad: the mean loss of the rounds within ``window_s`` above ``max_loss_ratio``."""
    cfg = config.high_loss
    limit = config.baseline(window.backhaul).max_loss_ratio
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
            "max_loss_ratio": limit,
            "window_s": cfg.window_s,
        }
        add(streams, operator, Sample(p.event_ns, mean > limit, on_link(window, figures)))
    return sort_streams(streams)


def high_latency(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad: the median of the rounds' median RTT within ``window_s`` above ``max_rtt_ms``."""
    cfg = config.high_latency
    limit = config.baseline(window.backhaul).max_rtt_ms
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
            "max_rtt_ms": limit,
            "window_s": cfg.window_s,
        }
        add(streams, operator, Sample(p.event_ns, rtt > limit, on_link(window, figures)))
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
        add(streams, operator, Sample(t.event_ns, bad, on_link(window, figures)))
    return sort_streams(streams)


_Kit = Signal | Ping | KitEvent


def _t_kit(obs: _Kit) -> int:
    return obs.event_ns


def modem_fault(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    lost: set[str] = set()  # by modem name, as the engine's ModemCursor
    sim_bad: set[str] = set()
    detail = ""
    sim_state: str | None = None
    samples: list[Sample] = []
    sources: list[list[_Kit]] = [list(window.signals), list(window.pings), list(window.events)]
    obs: _Kit
    for obs in heapq.merge(*sources, key=_t_kit):
        if isinstance(obs, KitEvent):
            if obs.kind == "modem-lost":
                lost.add(obs.modem)
                detail = obs.message or "modem lost"
            elif obs.kind == "modem-back":
                lost.discard(obs.modem)
            elif obs.kind in ("reboot", "agent-started"):
                lost.clear()
            elif obs.kind == "sim-problem":
                sim_bad.add(obs.modem)
                detail = obs.message or "SIM problem"
        elif isinstance(obs, Signal):
            lost.discard(obs.modem)
            sim_state = obs.sim_state
            if obs.sim_state in SIM_FAULT:
                sim_bad.add(obs.modem)
                detail = f"SIM {obs.sim_state}"
            elif obs.sim_state == "ready":
                sim_bad.discard(obs.modem)
        if obs.event_ns < from_ns:
            continue
        figures: dict[str, Figure] = {
            "t_ns": obs.event_ns,
            "modem": "lost" if lost else "ok",
            "sim": "bad" if sim_bad else "ok",
            "sim_state": sim_state,
            "detail": detail if (lost or sim_bad) else "",
        }
        samples.append(Sample(obs.event_ns, bool(lost or sim_bad), figures))
    return {FIELD_TEAM: samples} if samples else {}


def agent_silent(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    return _agent_silent_cursor(window, config, now_ns, from_ns, None)[0]


RULES: dict[ProblemName, Callable[[SiteWindow, RulesConfig, int, int], dict[str, list[Sample]]]] = {
    ProblemName.NO_SERVICE: no_service,
    ProblemName.WEAK_SIGNAL: weak_signal,
    ProblemName.POOR_QUALITY: poor_quality,
    ProblemName.HIGH_LOSS: high_loss,
    ProblemName.HIGH_LATENCY: high_latency,
    ProblemName.LOW_THROUGHPUT: low_throughput,
    ProblemName.AGENT_SILENT: agent_silent,
    ProblemName.MODEM_FAULT: modem_fault,
    ProblemName.NO_COVERAGE: no_coverage,
}
