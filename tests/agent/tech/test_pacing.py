"""The survey's pace on a driven clock: rounds on the interval, late rounds restart the
schedule, the last wait stops at the survey's end."""

from __future__ import annotations

import threading

from agent.tech.pacing import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rounds_keep_to_the_interval_whatever_a_round_took() -> None:
    clock = Clock()
    pace = Pacer(5.0, None, clock)
    clock.now += 1.5  # the round took 1.5 s: wait the rest of the interval
    assert pace.delay_s() == 3.5
    clock.now += 3.5 + 0.25
    assert pace.delay_s() == 4.75
    assert not pace.over()  # no duration: never over


def test_a_late_round_starts_the_next_at_once_without_catching_up() -> None:
    clock = Clock()
    pace = Pacer(2.0, None, clock)
    clock.now += 7.0  # three intervals late
    assert pace.delay_s() == 0.0
    clock.now += 0.5  # the schedule restarted at the late round's end, not at 100 + 4
    assert pace.delay_s() == 1.5


def test_the_last_wait_ends_with_the_survey() -> None:
    clock = Clock()
    pace = Pacer(10.0, 12.0, clock)
    clock.now += 1.0
    assert pace.delay_s() == 9.0
    clock.now += 9.0 + 1.0
    assert not pace.over()
    assert pace.delay_s() == 1.0  # 12 s after the start, not the next round's 20
    clock.now += 1.0
    assert pace.over()


def test_wait_returns_at_once_when_stopped() -> None:
    stop = threading.Event()
    stop.set()
    pace = Pacer(3600.0, None)
    pace.wait(stop)  # a set event: no hour-long wait (the test's timeout would fail it)
    assert not pace.over()
