"""Radio rules: NO_SERVICE, WEAK_SIGNAL, POOR_QUALITY (per operator) and NO_COVERAGE.

Each is a pure function ``(window, config, now_ns) -> {operator: [Sample]}`` over the
site's signal readings, in event time. A reading is attributed to the operator it
names, else to the site's serving operator at that time (``"unknown"`` if none was
ever named). A reading whose SIM is absent, locked or failing says nothing about
the operator (that is MODEM_FAULT) and gives no sample here.

Windowed rules (WEAK_SIGNAL, POOR_QUALITY) judge the median at each reading, so a
problem's ``first_bad_ns`` is the first reading at which the *median* was bad
(about half a window after the level dropped) and it ends when the median recovers;
the evidence carries the single reading's value next to the median.
"""

from __future__ import annotations

from collector.rules.config import RulesConfig
from collector.rules.model import SATELLITE, UNKNOWN_OPERATOR, Figure, Sample
from collector.rules.observations import Signal
from collector.rules.series import (
    add,
    has_service,
    median_of,
    signal_figures,
    sliding,
    sort_streams,
)
from collector.rules.window import SiteWindow

_S = 1_000_000_000

#: RAT label -> (family, the field holding its signal level).
LEVEL_BY_RAT: dict[str, tuple[str, str]] = {
    "lte": ("lte", "rsrp_dbm"),
    "lte-m": ("lte", "rsrp_dbm"),
    "nbiot": ("lte", "rsrp_dbm"),
    "nr5g-nsa": ("lte", "rsrp_dbm"),  # the LTE anchor carries the connection
    "nr5g-sa": ("nr", "rsrp_dbm"),
    "umts": ("umts", "rscp_dbm"),
    "hspa": ("umts", "rscp_dbm"),
    "gsm": ("gsm", "rssi_dbm"),
    "edge": ("gsm", "rssi_dbm"),
}


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


def _t(s: Signal) -> int:
    return s.event_ns


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
    for (operator, family), readings in _groups(window, set(floors)).items():
        metric = LEVEL_BY_RAT[readings[0].rat or ""][1]
        for s, win in sliding(readings, _t, window_ns):
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
            add(streams, operator, Sample(s.event_ns, level < floors[family], figures))
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
    for (operator, family), readings in _groups(window, set(floors)).items():
        limits = floors[family]
        for s, win in sliding(readings, _t, window_ns):
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
            add(streams, operator, Sample(s.event_ns, bad, figures))
    return sort_streams(streams)


NOTE_SATELLITE = "no operator usable at this site: recommend a BAKTI / satellite link"


def no_coverage(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int
) -> dict[str, list[Sample]]:
    """Bad (key "satellite"): no reading of any operator had service within the trailing
    ``coverage_window_s``; no verdict until the window has that much history."""
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
