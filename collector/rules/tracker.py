"""From a rule's samples to episodes: ``for``, ``hold`` and flap detection (pure).

A rule turns a site's window into *samples*: a verdict (bad or healthy) at an event
time, with the figures behind it. :func:`track` walks them in event-time order:

- **for**: a problem starts when the samples stay bad from a first bad sample
  ``b0`` until a bad sample at or after ``b0 + for`` (no healthy sample between).
  Evidence is needed: time passing without samples proves nothing (unknown is not
  bad, except for AGENT_SILENT, whose rule turns silence into samples).
  ``first_bad_ns`` is ``b0``; ``confirmed_ns`` is the sample that satisfied ``for``.
- **hold** (hysteresis): an open problem clears when the samples stay healthy from
  a first healthy sample ``g0`` until a healthy sample at or after ``g0 + hold``.
  ``cleared_ns`` is ``g0``: the true end, although it is only known ``hold`` later.
  Unknown (no samples) is not healthy: a problem stays open without data.
- **flap detection** (Nagios style): while closed, when ``flap_changes`` changes of
  verdict fall within the trailing ``flap_window``, the problem opens at the next bad
  sample even though no bad run lasted ``for``; ``first_bad_ns`` is the first bad
  sample within that window and the evidence says ``flapping``. Hold keeps it open
  until the flapping stops, so a link flapping every 20 s for 10 minutes is ONE
  problem (or none, with flap detection off and a ``for`` longer than a bad run).

``seed`` is the key's announced open episode: announced facts are not rewritten
(its ``first_bad_ns`` stays), so the caller feeds only samples after its
``last_bad_ns``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from collector.rules.config import Timing
from collector.rules.model import Sample


@dataclass(slots=True)
class Episode:
    first: Sample  # the first bad sample
    last: Sample  # the latest bad sample
    confirmed_ns: int  # event time of the sample that opened it
    flapping: bool = False
    recovering: bool = False  # a healthy sample came after ``last``
    cleared_ns: int | None = None

    @property
    def first_bad_ns(self) -> int:
        return self.first.t_ns

    @property
    def last_bad_ns(self) -> int:
        return self.last.t_ns


class Tracker:
    """:func:`track` that can be carried on: :meth:`feed` more samples, all newer than
    the last fed, gives what feeding them all at once would have given."""

    __slots__ = ("changes", "current", "good_from", "pending", "prev_bad", "run_starts", "timing")

    def __init__(self, timing: Timing, seed: Episode | None = None) -> None:
        self.timing = timing
        self.current: Episode | None = None
        if seed is not None:
            self.current = Episode(seed.first, seed.last, seed.confirmed_ns, seed.flapping)
        self.pending: Sample | None = None  # start of the bad run while closed
        self.good_from: Sample | None = None  # start of the healthy run while open
        self.prev_bad: bool | None = True if seed is not None else None
        self.changes: deque[int] = deque()  # times of verdict changes (flap detection)
        self.run_starts: deque[Sample] = deque()  # first sample of each bad run in the window

    def quiescent(self) -> bool:
        """Nothing open, pending or within flap detection's reach, the last sample
        healthy: tracking samples from here gives what tracking them afresh gives
        (so the engine may carry on from here rather than track its lookback again)."""
        return (
            self.current is None
            and self.pending is None
            and self.prev_bad is False
            and not self.changes
            and not self.run_starts
        )

    def feed(self, samples: Iterable[Sample]) -> list[Episode]:
        """The episode open when called (if any) then every episode found, in order:
        every one but the last is closed; the last may be open."""
        timing = self.timing
        current, pending, good_from = self.current, self.pending, self.good_from
        prev_bad, changes, run_starts = self.prev_bad, self.changes, self.run_starts
        out: list[Episode] = [] if current is None else [current]
        flap = timing.flap_changes > 0
        for s in samples:
            if flap:
                if prev_bad is not None and s.bad != prev_bad:
                    changes.append(s.t_ns)
                if s.bad and prev_bad is not True:
                    run_starts.append(s)
                horizon = s.t_ns - timing.flap_window_ns
                while changes and changes[0] < horizon:
                    changes.popleft()
                while run_starts and run_starts[0].t_ns < horizon:
                    run_starts.popleft()
            prev_bad = s.bad
            if current is not None:
                if s.bad:
                    current.last = s
                    current.recovering = False
                    good_from = None
                    continue
                current.recovering = True
                if good_from is None:
                    good_from = s
                if s.t_ns - good_from.t_ns >= timing.hold_ns:
                    current.cleared_ns = good_from.t_ns
                    current = None
                    good_from = pending = None
                    changes.clear()
                    run_starts.clear()
                continue
            if not s.bad:
                pending = None
                continue
            if pending is None:
                pending = s
            if s.t_ns - pending.t_ns >= timing.for_ns:
                current = Episode(pending, s, s.t_ns)
            elif flap and len(changes) >= timing.flap_changes:
                first = run_starts[0] if run_starts else pending
                current = Episode(first, s, s.t_ns, flapping=True)
            if current is not None:
                out.append(current)
                pending = None
        self.current, self.pending, self.good_from, self.prev_bad = (
            current,
            pending,
            good_from,
            prev_bad,
        )
        return out


def track(samples: Iterable[Sample], timing: Timing, seed: Episode | None = None) -> list[Episode]:
    """Episodes found in ``samples`` (sorted by ``t_ns``), the seed's first if given.

    Every episode but the last is closed; the last may be open. The seed is
    returned as a copy, with its newer last bad sample and its clear if any.
    """
    return Tracker(timing, seed).feed(samples)
