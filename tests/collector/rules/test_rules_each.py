"""Every rule opens after its ``for`` and not before, and clears after its ``hold``.

Timeline (seconds, a step every 10 s, judged live at each step): healthy 0-90, bad
100-390, healthy from 400. With for_s = 60 and hold_s = 120 every rule must start
at t = 160 with first_bad = 100, and clear at t = 520 with cleared = 400 and
last_bad = 390.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from rulefactory import (
    SITE,
    TSEL,
    at,
    engine_with,
    event,
    every,
    live,
    lte,
    no_service,
    of,
    ping,
    tput,
)

from collector.rules import FIELD_TEAM, SATELLITE, Cleared, Observation, Started, Updated

Make = Callable[[float], Sequence[Observation]]

CASES: dict[str, tuple[Make, Make, str, dict[str, float]]] = {
    "NO_SERVICE": (lambda t: [lte(t)], lambda t: [no_service(t)], TSEL, {}),
    "WEAK_SIGNAL": (lambda t: [lte(t)], lambda t: [lte(t, rsrp=-116)], TSEL, {"window_s": 1}),
    "POOR_QUALITY": (lambda t: [lte(t)], lambda t: [lte(t, sinr=-4)], TSEL, {"window_s": 1}),
    "HIGH_LOSS": (
        lambda t: [lte(t), ping(t)],
        lambda t: [lte(t), ping(t, loss=0.6)],
        TSEL,
        {"window_s": 1},
    ),
    "HIGH_LATENCY": (
        lambda t: [lte(t), ping(t)],
        lambda t: [lte(t), ping(t, rtt=900)],
        TSEL,
        {"window_s": 1},
    ),
    "LOW_THROUGHPUT": (
        lambda t: [lte(t), tput(t, 8e6)],
        lambda t: [lte(t), tput(t, 3e5)],
        TSEL,
        {"window_s": 1},
    ),
    "MODEM_FAULT": (
        lambda t: [lte(t), ping(t)],
        lambda t: [event(t, "modem-lost", "/dev/ttyUSB2 vanished"), ping(t)],
        FIELD_TEAM,
        {},
    ),
    "NO_COVERAGE": (
        lambda t: [lte(t)],
        lambda t: [no_service(t)],
        SATELLITE,
        {"coverage_window_s": 1},
    ),
}


def _timeline(good: Make, bad: Make) -> list[tuple[float, Sequence[Observation]]]:
    return every(0, 100, 10, good) + every(100, 400, 10, bad) + every(400, 700, 10, good)


@pytest.mark.parametrize("problem", sorted(CASES))
def test_rule_opens_after_for_and_clears_after_hold(problem: str) -> None:
    good, bad, operator, extra = CASES[problem]
    table = {"for_s": 60, "hold_s": 120, "flap_changes": 0, **extra}
    engine = engine_with(**{problem.lower(): table})
    got = of(live(engine, _timeline(good, bad)), problem)

    started = [(t, tr) for t, tr in got if isinstance(tr, Started)]
    cleared = [(t, tr) for t, tr in got if isinstance(tr, Cleared)]
    assert len(started) == 1 and len(cleared) == 1, got
    t_start, s = started[0]
    assert t_start == 160  # for_s after the first bad sample, and not one step before
    assert s.key.site_code == SITE and s.key.operator == operator
    assert s.first_bad_ns == at(100) and s.last_bad_ns == at(160)
    assert s.historical is False
    assert s.evidence.first_bad["t_ns"] == at(100)
    t_clear, c = cleared[0]
    assert t_clear == 520  # hold_s after the first healthy sample, not before
    assert c.cleared_ns == at(400) and c.last_bad_ns == at(390)
    assert all(isinstance(tr, Updated) for _, tr in got[1:-1])


@pytest.mark.parametrize("problem", sorted(CASES))
def test_a_bad_run_shorter_than_for_opens_nothing(problem: str) -> None:
    good, bad, _, extra = CASES[problem]
    table = {"for_s": 60, "hold_s": 120, "flap_changes": 0, **extra}
    engine = engine_with(**{problem.lower(): table})
    steps = every(0, 100, 10, good) + every(100, 150, 10, bad) + every(150, 400, 10, good)
    assert of(live(engine, steps), problem) == []


@pytest.mark.parametrize("problem", sorted(CASES))
def test_a_disabled_rule_says_nothing(problem: str) -> None:
    good, bad, _, extra = CASES[problem]
    engine = engine_with(**{problem.lower(): {"enabled": False, "for_s": 0, **extra}})
    assert of(live(engine, _timeline(good, bad)), problem) == []


def test_zero_for_and_hold_open_and_clear_at_once() -> None:
    engine = engine_with(no_service={"for_s": 0, "hold_s": 0, "flap_changes": 0})
    steps = [(0, [lte(0)]), (10, [no_service(10)]), (20, [lte(20)])]
    got = of(live(engine, steps), "NO_SERVICE")
    assert [(t, type(tr).__name__) for t, tr in got] == [(10, "Started"), (20, "Cleared")]


def test_demo_sized_durations_of_a_few_seconds() -> None:
    engine = engine_with(no_service={"for_s": 3, "hold_s": 4})
    steps = every(0, 5, 1, lambda t: [lte(t)]) + every(5, 12, 1, lambda t: [no_service(t)])
    steps += every(12, 20, 1, lambda t: [lte(t)])
    got = of(live(engine, steps), "NO_SERVICE")
    assert [(t, type(tr).__name__) for t, tr in got] == [(8, "Started"), (16, "Cleared")]
