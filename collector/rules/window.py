"""A site's event-time window: its recent observations, sorted, bounded (pure).

Observations are kept per kind in event-time order whatever order they arrive in
(out-of-order and backfilled data are inserted where they belong). The window is
bounded twice: by time (``horizon_ns`` before the newest event time seen at the
site) and by count (``max_per_kind`` per kind, the oldest dropped first), so memory
per site is bounded whatever a kit sends. Data older than the horizon when it
arrives is dropped: that is the *bounded lateness* the rules accept (stored, but
not evaluated).

Beside what the agent sent, the window keeps when the collector itself could not
listen (``outages``: (down, back) in arrival time: its start, its own stall): silence
across such a time is the collector's, not the agent's
(:func:`collector.rules.kit.agent_silent`).

What the rules need of the window is kept as it changes, never rebuilt from all of
it: the operator timeline (who served the site when) is inserted into and trimmed
with the readings, and :meth:`SiteWindow.mark` / :attr:`SiteWindow.appended` tell
the engine whether the window has changed since its last judgement only by
measurements newer than everything it held then (nothing inserted before them) and
how far it was trimmed (``trimmed_to_ns``): then each rule may carry on from where
it stopped (:mod:`collector.rules.series`) instead of reading the window again.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass, field

from collector.rules.observations import (
    Heard,
    KitEvent,
    Observation,
    Ping,
    Signal,
    Throughput,
)
from pantau.core.backhaul import CELLULAR


def _t(obs: Observation) -> int:
    return obs.event_ns


def _back(outage: tuple[int, int]) -> int:
    return outage[1]


@dataclass(frozen=True, slots=True)
class OperatorTimeline:
    times: list[int]
    operators: list[str]

    def at(self, t_ns: int) -> str | None:
        """The serving operator at ``t_ns``: that of the nearest reading at or before it
        that named one (carried forward), None if none did. Never a later reading's:
        a key must not change under an announced problem when service comes back."""
        i = bisect_right(self.times, t_ns)
        return self.operators[i - 1] if i else None

    def seen(self) -> list[str]:
        """Every operator seen, in order of first appearance."""
        return list(dict.fromkeys(self.operators))

    def insert(self, t_ns: int, operator: str) -> bool:
        """Insert a reading's operator; True if it came last (after every other)."""
        i = bisect_right(self.times, t_ns)
        self.times.insert(i, t_ns)
        self.operators.insert(i, operator)
        return i == len(self.times) - 1

    def drop_first(self, count: int) -> None:
        del self.times[:count]
        del self.operators[:count]


@dataclass(slots=True)
class SiteWindow:
    horizon_ns: int
    max_per_kind: int
    signals: list[Signal] = field(default_factory=list)
    pings: list[Ping] = field(default_factory=list)
    throughputs: list[Throughput] = field(default_factory=list)
    events: list[KitEvent] = field(default_factory=list)
    heard: list[int] = field(default_factory=list)  # arrival times
    sms_heard: set[int] = field(default_factory=set)  # those of lifeline SMS (in heard)
    outages: list[tuple[int, int]] = field(default_factory=list)  # the collector's own
    backhaul: str = CELLULAR  # the link the site's kit declared (Hello.backhaul)
    newest_ns: int | None = None  # newest event time of a measurement (not Heard)
    dropped_late: int = 0  # observations older than the horizon when they came
    # since :meth:`mark`: only measurements newer than ``marked_ns`` came; the newest
    # event time trimmed off (None: nothing), and whether a reading naming an operator was
    appended: bool = False
    marked_ns: int | None = None
    trimmed_to_ns: int | None = None
    trimmed_named: bool = False
    _timeline: OperatorTimeline = field(default_factory=lambda: OperatorTimeline([], []))
    _seen: list[str] | None = None  # operators in order of first appearance (cached)

    def add(self, observations: Iterable[Observation]) -> tuple[int, int | None]:
        """Insert ``observations`` in event-time order; returns how many were kept and
        the oldest event time among them (None if none was kept)."""
        kept = 0
        oldest: int | None = None
        for obs in observations:
            if isinstance(obs, Heard):
                insort(self.heard, obs.event_ns)
                if obs.by_sms:
                    self.sms_heard.add(obs.event_ns)
                kept += 1
                oldest = obs.event_ns if oldest is None else min(oldest, obs.event_ns)
                continue
            if self.newest_ns is not None and obs.event_ns < self.newest_ns - self.horizon_ns:
                self.dropped_late += 1
                continue
            if self.marked_ns is not None and obs.event_ns <= self.marked_ns:
                self.appended = False
            if isinstance(obs, Signal):
                insort(self.signals, obs, key=_t)
                if obs.operator is not None:
                    last = self._timeline.insert(obs.event_ns, obs.operator)
                    if not (last and self._seen is not None and obs.operator in self._seen):
                        self._seen = None  # the order of first appearance may change
            elif isinstance(obs, Ping):
                insort(self.pings, obs, key=_t)
            elif isinstance(obs, Throughput):
                insort(self.throughputs, obs, key=_t)
            else:
                insort(self.events, obs, key=_t)
            if self.newest_ns is None or obs.event_ns > self.newest_ns:
                self.newest_ns = obs.event_ns
            kept += 1
            oldest = obs.event_ns if oldest is None else min(oldest, obs.event_ns)
        self._trim()
        return kept, oldest

    def mark(self) -> None:
        """The engine has judged the window as it is: start telling whether what comes
        next only appends to it."""
        self.marked_ns = self.newest_ns
        self.appended = True
        self.trimmed_to_ns = None
        self.trimmed_named = False

    def outage(self, down_ns: int, back_ns: int) -> None:
        """The collector could not hear the agent from ``down_ns`` to ``back_ns`` (a
        restart: both its start; its own stall): silence across it is not the agent's."""
        insort(self.outages, (down_ns, back_ns), key=_back)
        self._trim()

    def listening_since(self, heard_ns: int, end_ns: int) -> int:
        """From when the silence after ``heard_ns`` (until ``end_ns``) is the agent's: the
        latest return of the collector from an outage that overlaps it, else ``heard_ns``."""
        since = heard_ns
        for down, back in reversed(self.outages):
            if back <= heard_ns:
                break  # sorted by return: the rest came back before the agent was heard
            if down <= end_ns:
                since = max(since, back)
        return since

    def _trim(self) -> None:
        cap = self.max_per_kind
        if self.newest_ns is not None:
            oldest = self.newest_ns - self.horizon_ns
            items: list[Signal] | list[Ping] | list[Throughput] | list[KitEvent]
            for items in (self.signals, self.pings, self.throughputs, self.events):
                cut = bisect_left(items, oldest, key=_t)
                cut = max(cut, len(items) - cap)
                if cut > 0:
                    if items is self.signals:
                        named = sum(1 for s in self.signals[:cut] if s.operator is not None)
                        if named:
                            self._timeline.drop_first(named)
                            self._seen = None
                            self.trimmed_named = True
                    t = items[cut - 1].event_ns
                    if self.trimmed_to_ns is None or t > self.trimmed_to_ns:
                        self.trimmed_to_ns = t
                    del items[:cut]
        if self.heard:
            newest_heard = self.heard[-1]
            cut = bisect_right(self.heard, newest_heard - self.horizon_ns)
            cut = max(cut, len(self.heard) - cap)
            if cut > 0:
                del self.heard[:cut]
                if self.sms_heard:
                    self.sms_heard = {t for t in self.sms_heard if t >= self.heard[0]}
        # an outage the collector was back from before the oldest heard time bounds no gap
        if self.outages:
            oldest_heard = self.heard[0] if self.heard else None
            cut = 0 if oldest_heard is None else bisect_right(self.outages, oldest_heard, key=_back)
            cut = max(cut, len(self.outages) - cap)
            if cut > 0:
                del self.outages[:cut]

    def operators(self) -> OperatorTimeline:
        """Who served the site when (from the readings that named an operator)."""
        return self._timeline

    def attribution_kept(self, from_ns: int) -> bool:
        """Whether every time from ``from_ns`` on has the serving operator it had before
        the trims since :meth:`mark` (a reading naming one is left at or before it)."""
        times = self._timeline.times
        return not self.trimmed_named or bool(times and times[0] <= from_ns)

    def operators_seen(self) -> list[str]:
        """Every operator the readings named, in order of first appearance."""
        if self._seen is None:
            self._seen = self._timeline.seen()
        return self._seen

    def operator_name(self, operator: str | None) -> str | None:
        """The newest name the readings gave ``operator``."""
        for s in reversed(self.signals):
            if s.operator == operator and s.operator_name:
                return s.operator_name
        return None

    def size(self) -> int:
        return (
            len(self.signals)
            + len(self.pings)
            + len(self.throughputs)
            + len(self.events)
            + len(self.heard)
        )
