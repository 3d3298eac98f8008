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

Each rule is ``(window, config, now_ns, from_ns, cursor) -> (streams, cursor)``: with
a cursor (the window only appended to since) it reads only the new readings and
carries its per-series summaries on (:mod:`collector.rules.series`); without, it
reads the window from its start. Medians are exact.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from collector.rules.config import RulesConfig
from collector.rules.model import SATELLITE, UNKNOWN_OPERATOR, Figure, Sample, link_queue
from collector.rules.observations import Signal
from collector.rules.series import (
    Cursor,
    SortedValues,
    WindowedCursor,
    add,
    has_service,
    signal_figures,
    sort_streams,
    unknown_in_window,
)
from collector.rules.window import OperatorTimeline, SiteWindow

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
#: RAT family -> the field holding its signal level.
LEVEL_BY_FAMILY = {family: metric for family, metric in LEVEL_BY_RAT.values()}

Streams = dict[str, list[Sample]]


def _t(s: Signal) -> int:
    return s.event_ns


def _operator(s: Signal, timeline: OperatorTimeline) -> str:
    return s.operator or timeline.at(s.event_ns) or UNKNOWN_OPERATOR


def new_signals(window: SiteWindow, cursor: Cursor) -> list[Signal]:
    """The readings the cursor has not read (all of them for a new cursor), and moves
    the cursor past them."""
    signals = window.signals
    start = 0 if cursor.last_ns is None else bisect_right(signals, cursor.last_ns, key=_t)
    if signals:
        cursor.last_ns = signals[-1].event_ns
    return signals[start:]


def no_service(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
) -> tuple[Streams, Cursor]:
    """Bad: not registered or no serving cell; healthy: registered with a cell."""
    if cursor is None:  # no state: only what is judged needs reading
        cursor = Cursor(window.signals[-1].event_ns if window.signals else None)
        signals = window.signals[bisect_left(window.signals, from_ns, key=_t) :]
    else:
        signals = new_signals(window, cursor)
    streams: Streams = {}
    timeline = window.operators()
    for s in signals:
        service = has_service(s)
        if service is None or s.event_ns < from_ns:
            continue
        figures = signal_figures(s, timeline)
        add(streams, _operator(s, timeline), Sample(s.event_ns, not service, figures))
    unknown = unknown_in_window(window, window.signals, _tells_service)
    return sort_streams(streams, unknown), cursor


def _tells_service(s: Signal) -> bool:
    return has_service(s) is not None


@dataclass(slots=True)
class _Series:
    """One (operator, RAT family)'s readings within the window, and their medians."""

    readings: deque[Signal] = field(default_factory=deque)
    values: dict[str, SortedValues] = field(default_factory=dict)

    def push(self, s: Signal, window_ns: int) -> None:
        """``s`` enters; the readings no longer within ``window_ns`` of it leave."""
        self.readings.append(s)
        for metric, values in self.values.items():
            v = getattr(s, metric)
            if v is not None:
                values.add(v)
        readings = self.readings
        while readings[0].event_ns <= s.event_ns - window_ns:
            old = readings.popleft()
            for metric, values in self.values.items():
                v = getattr(old, metric)
                if v is not None:
                    values.remove(v)


@dataclass(slots=True)
class SeriesCursor(WindowedCursor):
    series: dict[tuple[str, str], _Series] = field(default_factory=dict)


def _grouped(
    window: SiteWindow,
    cur: SeriesCursor,
    metrics: dict[str, tuple[str, ...]],
    window_ns: int,
) -> Iterator[tuple[tuple[str, str], _Series, Signal]]:
    """Push each new reading with service of a RAT family in ``metrics`` into its
    (operator, family) series; yields each with its series as of it."""
    timeline = window.operators()
    for s in new_signals(window, cur):
        family = _in_series(s, metrics)
        if family is None:
            continue
        key = (_operator(s, timeline), family)
        series = cur.series.get(key)
        if series is None:
            series = cur.series[key] = _Series()
            series.values = {m: SortedValues() for m in metrics[family]}
        series.push(s, window_ns)
        yield key, series, s


def _in_series(s: Signal, metrics: dict[str, tuple[str, ...]]) -> str | None:
    """The RAT family of a reading with service that a rule of ``metrics`` judges."""
    level = LEVEL_BY_RAT.get(s.rat or "")
    if level is None or level[0] not in metrics or has_service(s) is not True:
        return None
    return level[0]


def weak_signal(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
) -> tuple[Streams, Cursor]:
    """Bad: the windowed median level of the serving RAT below its threshold."""
    cfg = config.weak_signal
    floors = {
        "lte": cfg.lte_min_rsrp_dbm,
        "nr": cfg.nr_min_rsrp_dbm,
        "umts": cfg.umts_min_rscp_dbm,
        "gsm": cfg.gsm_min_rssi_dbm,
    }
    metrics: dict[str, tuple[str, ...]] = {f: (LEVEL_BY_FAMILY[f],) for f in floors}
    timeline = window.operators()
    window_ns = int(cfg.window_s * _S)
    cur = cursor if isinstance(cursor, SeriesCursor) else SeriesCursor(reach_ns=window_ns)
    streams: Streams = {}
    for key, series, s in _grouped(window, cur, metrics, window_ns):
        metric = LEVEL_BY_FAMILY[key[1]]
        value = getattr(s, metric)
        if value is None or s.event_ns < from_ns:
            continue
        values = series.values[metric]
        level = values.median()
        assert level is not None
        figures = signal_figures(s, timeline)
        figures.update(
            {
                metric: value,
                f"median_{metric}": level,
                "readings": len(values),
                "threshold_dbm": floors[key[1]],
                "window_s": cfg.window_s,
            }
        )
        add(streams, key[0], Sample(s.event_ns, level < floors[key[1]], figures))

    def counts(s: Signal) -> bool:
        family = _in_series(s, metrics)
        return family is not None and getattr(s, LEVEL_BY_FAMILY[family]) is not None

    return sort_streams(streams, unknown_in_window(window, window.signals, counts)), cur


def poor_quality(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
) -> tuple[Streams, Cursor]:
    """Bad: windowed median SINR or RSRQ (LTE/NR) or Ec/Io (UMTS) below its floor."""
    cfg = config.poor_quality
    floors: dict[str, dict[str, float]] = {
        "lte": {"sinr_db": cfg.min_sinr_db, "rsrq_db": cfg.min_rsrq_db},
        "nr": {"sinr_db": cfg.min_sinr_db, "rsrq_db": cfg.min_rsrq_db},
        "umts": {"ecio_db": cfg.umts_min_ecio_db},
    }
    metrics = {family: tuple(limits) for family, limits in floors.items()}
    timeline = window.operators()
    window_ns = int(cfg.window_s * _S)
    cur = cursor if isinstance(cursor, SeriesCursor) else SeriesCursor(reach_ns=window_ns)
    streams: Streams = {}
    for key, series, s in _grouped(window, cur, metrics, window_ns):
        limits = floors[key[1]]
        if s.event_ns < from_ns or all(getattr(s, m) is None for m in limits):
            continue
        figures: dict[str, Figure] = signal_figures(s, timeline)
        bad = False
        for metric, floor in limits.items():
            level = series.values[metric].median()
            figures[metric] = getattr(s, metric)
            figures[f"median_{metric}"] = level
            figures[f"min_{metric}"] = floor
            bad = bad or (level is not None and level < floor)
        figures["readings"] = len(series.readings)
        figures["window_s"] = cfg.window_s
        add(streams, key[0], Sample(s.event_ns, bad, figures))

    def counts(s: Signal) -> bool:
        family = _in_series(s, metrics)
        return family is not None and any(getattr(s, m) is not None for m in floors[family])

    return sort_streams(streams, unknown_in_window(window, window.signals, counts)), cur


#: How many readings before a judged time are searched for one that settles a
#: rule's state (NO_COVERAGE, MODEM_FAULT) after a trim; none: the window is read again.
_SETTLE_SCAN = 32

NOTE_SATELLITE = "no operator usable at this site: recommend a BAKTI / satellite link"


@dataclass(slots=True)
class CoverageCursor(Cursor):
    first_ns: int | None = None  # the first reading that told service or not
    last_service_ns: int | None = None
    seen: list[str] = field(default_factory=list)  # the operators the samples named

    def usable(self, window: SiteWindow) -> bool:
        # every sample names the operators seen so far: a new one re-judges them all
        return self.seen == window.operators_seen()

    def survives_trim(self, window: SiteWindow, from_ns: int) -> bool:
        """A reading with service left between the trimmed data and ``from_ns``: the
        samples from then on count from it, whatever came before."""
        if not window.attribution_kept(from_ns):
            return False
        signals, trimmed = window.signals, window.trimmed_to_ns or 0
        i = bisect_left(signals, from_ns, key=_t)
        for j in range(i - 1, max(i - _SETTLE_SCAN, 0) - 1, -1):
            if signals[j].event_ns <= trimmed:
                return False
            if has_service(signals[j]) is True:
                return True
        return False


def no_coverage(
    window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
) -> tuple[Streams, Cursor | None]:
    """Bad (key "satellite"): no reading of any operator had service within the trailing
    ``coverage_window_s``; no verdict until the window has that much history. Not
    judged at a site whose kit has a link of its own (satellite, wired): recommending
    a satellite link there says nothing."""
    if link_queue(window.backhaul) is not None:
        return {}, None
    cfg = config.no_coverage
    span_ns = int(cfg.coverage_window_s * _S)
    timeline = window.operators()
    cur = cursor if isinstance(cursor, CoverageCursor) else CoverageCursor()
    cur.seen = list(window.operators_seen())
    seen = ", ".join(cur.seen) or "none"
    samples: list[Sample] = []
    for s in new_signals(window, cur):
        service = has_service(s)
        if service is None:
            continue
        if cur.first_ns is None:
            cur.first_ns = s.event_ns
        if service:
            cur.last_service_ns = s.event_ns
        last_service_ns = cur.last_service_ns
        since = cur.first_ns if last_service_ns is None else last_service_ns
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
    return ({SATELLITE: samples} if samples else {}), cur
