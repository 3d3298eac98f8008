"""Helpers the rules share: window summaries kept as readings come, and service
classification.

*Window summaries.* A windowed rule judges each reading on a figure over the
readings within ``window_s`` before it (a median, a mean, a count). Recomputing
that figure from the whole window at every reading cost O(n log n) per reading,
O(n^2 log n) per evaluation of a dense window. Instead each rule keeps, per
series, the readings within the window in arrival order (a deque: they enter at
the right, leave at the left) and a summary updated as they enter and leave:
:class:`SortedValues` for medians (the values kept sorted: insertion and removal
by bisection, the median read in O(1)) and :class:`ExactSum` for means (an exact
integer sum of the floats, so adding and removing never accumulates rounding).
Medians are exact, the same figure as :func:`statistics.median` over the window
(no cap, no bins: nothing to tolerate); a mean is the exact mean correctly rounded
to a float, which may differ from a left-to-right float sum divided by the count
in the last bits (about 1e-16 relative), so a mean exactly at a threshold may
fall on the other side of it.

*Cursors.* What a rule keeps between evaluations (those summaries, the state
carried from the window's start, where it stopped) is its :class:`Cursor`. The
engine passes it back when the window changed since then only by newer
measurements (:attr:`collector.rules.window.SiteWindow.appended`) and by trims
that change none of the samples the engine would judge again
(:meth:`Cursor.survives_trim`: the trimmed data lies more than the rule's window
before them, the serving operator at their times is still known, and for
MODEM_FAULT and NO_COVERAGE a reading that settles their state lies between);
the rule then reads only the new readings, so its cost per reading does not
depend on how many readings the window holds. Otherwise (data older than the
window's newest; a window at its count cap, trimmed within the rules' reach; and,
the engine decides, a problem of the rule open or in the making at the site) the
rule reads the window from its start and makes a new cursor: that judgement costs
in proportion to the window.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from collector.rules.model import UNKNOWN_OPERATOR, Figure, Sample
from collector.rules.observations import Ping, Signal, Throughput
from collector.rules.window import OperatorTimeline, SiteWindow

#: SIM states that make the kit, not the operator, the problem (MODEM_FAULT).
SIM_FAULT = frozenset({"absent", "pin-required", "puk-required", "error"})
_NO_SERVICE = frozenset(
    {"not-registered", "searching", "denied", "unknown", "emergency-only", "sms-only"}
)
_SERVICE = frozenset({"home", "roaming", "other"})


def has_service(s: Signal) -> bool | None:
    """True: registered with a serving cell; False: no service (not registered, or
    RAT none); None: cannot tell, or the SIM is at fault (a kit problem)."""
    if s.sim_state in SIM_FAULT or s.sim_state == "busy":
        return None
    if s.rat == "none" or s.reg_state in _NO_SERVICE:
        return False
    if s.reg_state in _SERVICE:
        return True
    if s.reg_state is None and s.rat is not None:
        return True  # a serving RAT, no registration reported
    return None


class SortedValues:
    """A multiset of floats kept sorted: add and remove by bisection, median in O(1)."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: list[float] = []

    def add(self, value: float) -> None:
        insort(self.values, value)

    def remove(self, value: float) -> None:
        values = self.values
        i = bisect_left(values, value)
        if i < len(values) and values[i] == value:
            del values[i]
        else:  # NaN compares with nothing: found by identity
            values.remove(value)

    def median(self) -> float | None:
        """As :func:`statistics.median` of the values (None if there are none)."""
        values = self.values
        n = len(values)
        if not n:
            return None
        if n % 2:
            return values[n // 2]
        return (values[n // 2 - 1] + values[n // 2]) / 2

    def __len__(self) -> int:
        return len(self.values)


#: Every finite float is an integer multiple of 2**-1074.
_ULP_EXP = 1074


class ExactSum:
    """A sum of floats kept exactly (as an integer count of 2**-1074), so values can
    be added and removed in any order without rounding building up."""

    __slots__ = ("count", "nan", "neg_inf", "pos_inf", "total")

    def __init__(self) -> None:
        self.total = 0
        self.count = 0
        self.nan = self.pos_inf = self.neg_inf = 0  # values that are not finite

    def _change(self, value: float, sign: int) -> None:
        self.count += sign
        if math.isfinite(value):
            num, den = float(value).as_integer_ratio()
            self.total += sign * num * ((1 << _ULP_EXP) // den)
        elif math.isnan(value):
            self.nan += sign
        elif value > 0:
            self.pos_inf += sign
        else:
            self.neg_inf += sign

    def add(self, value: float) -> None:
        self._change(value, 1)

    def remove(self, value: float) -> None:
        self._change(value, -1)

    def mean(self) -> float:
        """The exact mean correctly rounded (as IEEE arithmetic when a value is not
        finite: NaN, or the infinity)."""
        if self.nan or (self.pos_inf and self.neg_inf):
            return math.nan
        if self.pos_inf or self.neg_inf:
            return math.inf if self.pos_inf else -math.inf
        return self.total / (self.count << _ULP_EXP)


@dataclass(slots=True)
class Cursor:
    """Where a rule stopped reading a site's window (``last_ns``: the newest event
    time it read) and what it carries on from (subclasses). None of it is shared."""

    last_ns: int | None = None

    def usable(self, window: SiteWindow) -> bool:
        """Whether the rule can carry on from here (the window only appended to)."""
        return True

    def survives_trim(self, window: SiteWindow, from_ns: int) -> bool:
        """Whether the window's trims since the last judgement leave every sample from
        ``from_ns`` on as it was, and this cursor right: here, a sample depends on its
        own reading and the operator serving then."""
        return window.attribution_kept(from_ns)


@dataclass(slots=True)
class WindowedCursor(Cursor):
    """A cursor of a rule whose samples depend on the readings ``reach_ns`` before."""

    reach_ns: int = 0

    def survives_trim(self, window: SiteWindow, from_ns: int) -> bool:
        trimmed = window.trimmed_to_ns
        reach = trimmed is None or trimmed + self.reach_ns < from_ns
        return reach and window.attribution_kept(from_ns)


_O = TypeVar("_O", Signal, Ping, Throughput)


def unknown_in_window(window: SiteWindow, items: list[_O], counts: Callable[[_O], bool]) -> bool:
    """Whether one of ``items`` (sorted) gives the "unknown" operator a sample: it
    names no operator, came before every reading that named one, and ``counts``."""
    times = window.operators().times
    first = times[0] if times else None
    for item in items:
        if first is not None and item.event_ns >= first:
            return False
        if item.operator is None and counts(item):
            return True
    return False


def signal_figures(s: Signal, timeline: OperatorTimeline) -> dict[str, Figure]:
    return {
        "t_ns": s.event_ns,
        "operator": s.operator or timeline.at(s.event_ns) or UNKNOWN_OPERATOR,
        "operator_name": s.operator_name,
        "rat": s.rat,
        "reg_state": s.reg_state,
        "cell_id": s.cell_id,
    }


def add(streams: dict[str, list[Sample]], key: str, sample: Sample) -> None:
    streams.setdefault(key, []).append(sample)


def sort_streams(
    streams: dict[str, list[Sample]], unknown_in_window: bool = False
) -> dict[str, list[Sample]]:
    """Sort every stream by time; the "unknown" operator's stream (problems seen before
    any reading named an operator: ``unknown_in_window``, or new samples of it) also
    gets every other operator's healthy samples, so it clears when service is healthy
    again, whoever turns out to serve the site."""
    unknown = streams.get(UNKNOWN_OPERATOR)
    if unknown is None and unknown_in_window:
        merged = [s for op, samples in streams.items() for s in samples if not s.bad]
        if merged:
            streams[UNKNOWN_OPERATOR] = merged
        unknown = None
    if unknown is not None:
        for operator, samples in streams.items():
            if operator != UNKNOWN_OPERATOR:
                unknown.extend(s for s in samples if not s.bad)
    for samples in streams.values():
        samples.sort(key=lambda s: s.t_ns)
    return streams
