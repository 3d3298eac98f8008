"""Admission control's decisions (collector.admission): table tests, time passed in."""

from __future__ import annotations

import pytest

from collector.admission import (
    Admit,
    Gate,
    Limits,
    Refuse,
    Wait,
    ack_delay_s,
    backlog_records,
)

LIMITS = Limits(
    concurrent=2, queue=1, retry_min_ms=1000, retry_per_kit_ms=10, retry_max_ms=5000,
    demand_half_life_s=30,
)  # fmt: skip


@pytest.mark.parametrize(
    ("arrivals", "expected"),
    [
        (1, [Admit()]),
        (2, [Admit(), Admit()]),
        (3, [Admit(), Admit(), Wait()]),
        # the 4th: queue full; demand = 1 waiting + itself = 2 kits -> window 20 ms
        (4, [Admit(), Admit(), Wait(), Refuse(1000 + 10)]),
        # the 5th: + one refusal remembered -> 3 kits -> window 30 ms
        (5, [Admit(), Admit(), Wait(), Refuse(1010), Refuse(1015)]),
    ],
)
def test_slots_then_the_queue_then_refusals_with_retry_after(
    arrivals: int, expected: list[object]
) -> None:
    gate = Gate(LIMITS)
    assert [gate.arrive(0.0, 0.5) for _ in range(arrivals)] == expected


@pytest.mark.parametrize(
    ("refused_before", "jitter", "retry_after_ms"),
    [
        (0, 0.0, 1000),  # no demand: the minimum
        (0, 0.999, 1000 + int(0.999 * 10)),  # itself only: a 10 ms window
        (99, 1.0, 1000 + 1000),  # 100 kits of demand: a 1 s window, top of it
        (99, 0.25, 1000 + 250),
        (10_000, 1.0, 5000),  # the window is capped at retry_max_ms
        (10_000, 0.5, 1000 + 2000),
    ],
)
def test_the_retry_window_grows_with_the_demand_turned_away(
    refused_before: int, jitter: float, retry_after_ms: int
) -> None:
    gate = Gate(Limits(concurrent=1, queue=0, retry_min_ms=1000, retry_per_kit_ms=10,
                       retry_max_ms=5000, demand_half_life_s=1e9))  # fmt: skip
    assert gate.arrive(0.0, 0.0) == Admit()
    for _ in range(refused_before):
        gate.arrive(0.0, 0.0)
    assert gate.arrive(0.0, jitter) == Refuse(retry_after_ms)
    assert gate.refused == refused_before + 1


def test_twenty_thousand_refused_kits_are_spread_not_sent_back_in_lock_step() -> None:
    gate = Gate(Limits(concurrent=1, queue=0, retry_min_ms=1000, retry_per_kit_ms=5,
                       retry_max_ms=120_000))  # fmt: skip
    gate.arrive(0.0, 0.0)
    draws = [(k * 7919 % 20_000) / 20_000 for k in range(20_000)]  # uniform-ish, no rng
    retries = [gate.arrive(k / 10_000, j) for k, j in enumerate(draws)]
    times = sorted(r.retry_after_ms for r in retries if isinstance(r, Refuse))
    assert len(times) == 20_000
    late = times[len(times) // 2 :]  # refused once demand had built up
    assert max(late) - min(late) > 60_000  # spread over a minute or more
    per_second = max(sum(1 for t in late if s * 1000 <= t < (s + 1) * 1000) for s in range(121))
    assert per_second < 500  # no second takes more than a small share of them


def test_remembered_demand_halves_with_its_half_life() -> None:
    gate = Gate(Limits(concurrent=1, queue=0, retry_min_ms=0, retry_per_kit_ms=1,
                       retry_max_ms=600_000, demand_half_life_s=10))  # fmt: skip
    gate.arrive(0.0, 0.0)
    for _ in range(1000):
        gate.arrive(0.0, 0.0)
    assert gate.demand == pytest.approx(1000)
    assert gate.retry_after_ms(10.0, 1.0) == 500 + 1  # halved, plus the new kit
    assert gate.retry_after_ms(20.0, 1.0) == 250 + 1


def test_a_released_slot_goes_to_the_waiter_first() -> None:
    gate = Gate(LIMITS)
    assert [gate.arrive(0, 0) for _ in range(3)] == [Admit(), Admit(), Wait()]
    assert gate.release() is True  # handed over: still 2 held, nobody waiting
    assert (gate.active, gate.waiting) == (2, 0)
    assert gate.release() is False
    assert (gate.active, gate.waiting) == (1, 0)
    assert gate.arrive(0, 0) == Admit()


def test_a_waiter_that_gives_up_is_refused_and_one_that_leaves_is_forgotten() -> None:
    gate = Gate(Limits(concurrent=1, queue=2, retry_min_ms=500, retry_per_kit_ms=0,
                       retry_max_ms=500))  # fmt: skip
    assert [gate.arrive(0, 0) for _ in range(3)] == [Admit(), Wait(), Wait()]
    assert gate.gave_up(1.0, 0.3) == Refuse(500)
    gate.left_queue()
    assert (gate.active, gate.waiting, gate.refused) == (1, 0, 1)
    assert gate.release() is False


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda g: g.release(), "release() without a slot held"),
        (lambda g: g.left_queue(), "left_queue() with no one waiting"),
    ],
)
def test_misuse_is_a_clear_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(Gate(LIMITS))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"concurrent": 0}, "concurrent must be at least 1, got 0"),
        ({"concurrent": 1, "queue": -1}, "queue must be 0 or more, got -1"),
        ({"concurrent": 1, "retry_min_ms": 9, "retry_max_ms": 5}, "retry_min_ms (9) <= retry"),
        ({"concurrent": 1, "retry_max_ms": 600_001}, "<= 600000"),
        ({"concurrent": 1, "retry_per_kit_ms": -1}, "retry_per_kit_ms must be >= 0"),
        ({"concurrent": 1, "demand_half_life_s": 0}, "demand_half_life_s must be > 0"),
    ],
)
def test_bad_limits_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        Limits(**kwargs)  # type: ignore[arg-type]
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("records", "rate", "since_s", "max_s", "delay_s"),
    [
        (100, 10, 0.0, 30.0, 10.0),  # 100 records at 10/s: 10 s per batch
        (100, 10, 4.0, 30.0, 6.0),  # 4 s already went by since the last ack
        (100, 10, 20.0, 30.0, 0.0),  # slower than the rate already: at once
        (1000, 10, 0.0, 5.0, 5.0),  # never longer than the bound
        (100, 0, 0.0, 5.0, 0.0),  # no rate: not paced
        (0, 10, 0.0, 5.0, 0.0),
    ],
)
def test_ack_pacing(
    records: int, rate: float, since_s: float, max_s: float, delay_s: float
) -> None:
    assert ack_delay_s(records, rate, since_s, max_delay_s=max_s) == pytest.approx(delay_s)


@pytest.mark.parametrize(
    ("head", "acked", "backlog"), [(0, 0, 0), (0, 50, 0), (120, 20, 100), (20, 20, 0)]
)
def test_backlog_records(head: int, acked: int, backlog: int) -> None:
    assert backlog_records(head, acked) == backlog


def test_a_kit_refused_for_another_reason_counts_as_demand() -> None:
    gate = Gate(Limits(concurrent=1, queue=0, retry_min_ms=100, retry_per_kit_ms=10,
                       retry_max_ms=10_000, demand_half_life_s=1e9))  # fmt: skip
    assert gate.refuse(0.0, 1.0) == Refuse(100 + 10)  # itself
    assert gate.refuse(0.0, 1.0) == Refuse(100 + 20)  # itself and the one before
    assert gate.refused == 2 and gate.active == 0
