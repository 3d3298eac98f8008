"""The survey's pace: one round every ``interval_s``, for at most ``duration_s``.

A round that overran its interval starts the next one at once and the schedule
restarts from there (no burst of catch-up rounds); the wait before a round never
runs past the end of the survey.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    def __init__(
        self,
        interval_s: float,
        duration_s: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval_s = interval_s
        self._duration_s = duration_s
        self._clock = clock
        self._started = clock()
        self._next_at = self._started

    def over(self) -> bool:
        """The survey's duration has passed (never, without one)."""
        return self._duration_s is not None and self._clock() - self._started >= self._duration_s

    def delay_s(self) -> float:
        """Seconds to wait before the next round (0: start it now), scheduling it."""
        self._next_at += self._interval_s
        now = self._clock()
        delay = self._next_at - now
        if self._duration_s is not None:
            delay = min(delay, self._started + self._duration_s - now)
        if delay > 0:
            return delay
        self._next_at = now  # late: the schedule restarts from now
        return 0.0

    def wait(self, stop: threading.Event) -> None:
        """Wait for the next round, or until ``stop`` is set."""
        delay = self.delay_s()
        if delay > 0:
            stop.wait(delay)
