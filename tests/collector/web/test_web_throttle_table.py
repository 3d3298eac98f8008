"""The login throttle's decisions (collector.web.throttle), as tables: no clock runs."""

from __future__ import annotations

import asyncio

import pytest

from collector.web.throttle import (
    Backoff,
    Busy,
    Failures,
    LoginThrottle,
    PasswordGate,
    TokenBucket,
    after_failure,
    check_cpus,
    client_key,
    retry_after_s,
    wait_ns,
)

_S = 1_000_000_000
POLICY = Backoff(free=3, first_s=1.0, cap_s=10.0, forget_s=100.0)


@pytest.mark.parametrize(
    ("failures", "delay_s"),
    [(0, 0), (1, 0), (2, 0), (3, 1), (4, 2), (5, 4), (6, 8), (7, 10), (9, 10), (10_000, 10)],
)
def test_the_delay_doubles_after_the_free_failures_up_to_the_cap(
    failures: int, delay_s: float
) -> None:
    assert POLICY.delay_ns(failures) == delay_s * _S


@pytest.mark.parametrize(
    ("record", "now_s", "wait_s"),
    [
        (None, 0, 0),
        (Failures(2, 0), 0, 0),  # within the free failures
        (Failures(3, 0), 0, 1),
        (Failures(3, 0), 0.25, 0.75),
        (Failures(3, 0), 1, 0),  # the delay has passed
        (Failures(5, 0), 3, 1),
        (Failures(50, 0), 9, 1),  # capped at 10 s
        (Failures(50, 0), 10, 0),
        (Failures(50, 0), 100, 0),  # forgotten
    ],
)
def test_wait(record: Failures | None, now_s: float, wait_s: float) -> None:
    assert wait_ns(record, POLICY, int(now_s * _S)) == int(wait_s * _S)


@pytest.mark.parametrize(
    ("record", "now_s", "after"),
    [
        (None, 5, Failures(1, 5 * _S)),
        (Failures(4, 0), 5, Failures(5, 5 * _S)),
        (Failures(4, 0), 99, Failures(5, 99 * _S)),
        (Failures(40, 0), 100, Failures(1, 100 * _S)),  # forgotten: afresh
    ],
)
def test_after_failure(record: Failures | None, now_s: float, after: Failures) -> None:
    assert after_failure(record, POLICY, int(now_s * _S)) == after


@pytest.mark.parametrize(
    ("wait", "seconds"), [(1, 1), (_S, 1), (_S + 1, 2), (int(59.5 * _S), 60), (900 * _S, 900)]
)
def test_retry_after_rounds_up_to_whole_seconds(wait: int, seconds: int) -> None:
    assert retry_after_s(wait) == seconds


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        (None, "?"),
        ("", "?"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_client_key(remote: str | None, key: str) -> None:
    assert client_key(remote) == key


class Clock:
    def __init__(self) -> None:
        self.now = 1_000 * _S

    def __call__(self) -> int:
        return self.now


@pytest.mark.parametrize(
    ("allowed", "cpus"),
    [
        ({0}, {0}),  # one CPU: the checks run at the lowest priority on it
        ({0, 1}, {1}),
        ({2, 5, 3}, {3, 5}),  # the lowest allowed is left free, whichever it is
        (set(range(8)), set(range(1, 8))),
    ],
)
def test_the_password_checks_leave_one_cpu_free(allowed: set[int], cpus: set[int]) -> None:
    assert check_cpus(allowed) == cpus


def test_one_client_spraying_names_waits_and_another_client_does_not() -> None:
    clock = Clock()
    names = Backoff(free=5, first_s=1, cap_s=60, forget_s=900)
    clients = Backoff(free=10, first_s=1, cap_s=900, forget_s=900)
    throttle = LoginThrottle(clients, names, clock)
    for i in range(10):
        assert throttle.wait_ns("a", f"name{i}") == 0
        throttle.failed("a", f"name{i}")
    assert throttle.wait_ns("a", "fresh-name") == 1 * _S
    assert throttle.wait_ns("b", "fresh-name") == 0
    assert throttle.wait_ns("b", "name0") == 0  # each name failed only once


def test_a_name_under_attack_delays_its_user_by_at_most_the_names_cap() -> None:
    clock = Clock()
    names = Backoff(free=5, first_s=1, cap_s=60, forget_s=900)
    clients = Backoff(free=10, first_s=1, cap_s=900, forget_s=900)
    throttle = LoginThrottle(clients, names, clock)
    for _ in range(1000):  # as fast as the throttle lets the attacker try
        clock.now += throttle.wait_ns("attacker", "citra")
        throttle.failed("attacker", "citra")
    assert throttle.wait_ns("attacker", "citra") == 900 * _S
    assert throttle.wait_ns("citra's laptop", "citra") <= 60 * _S
    throttle.succeeded("citra")
    assert throttle.wait_ns("citra's laptop", "citra") == 0
    assert throttle.wait_ns("attacker", "citra") == 900 * _S  # a success clears no client


def test_the_tables_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import collector.web.throttle as throttle_module

    monkeypatch.setattr(throttle_module, "MAX_KEYS", 5)
    throttle = LoginThrottle(POLICY, POLICY, Clock())
    for i in range(20):
        throttle.failed(f"client{i}", f"name{i}")
    assert list(throttle.clients.records) == [f"client{i}" for i in range(15, 20)]
    assert len(throttle.names.records) == 5


@pytest.mark.parametrize(
    ("takes_at_s", "granted"),
    [
        ([0, 0, 0, 0], [True, True, True, False]),  # a burst of 3, then empty
        ([0, 0, 0, 0.5, 1.0], [True, True, True, True, True]),  # 2 a second refill it
        ([0, 0, 0, 0, 0.49, 0.5], [True, True, True, False, False, True]),
        ([0, 10, 10, 10, 10], [True, True, True, True, False]),  # never above the burst
    ],
)
def test_token_bucket(takes_at_s: list[float], granted: list[bool]) -> None:
    bucket = TokenBucket(rate_per_s=2.0, burst=3)
    assert [bucket.take(int(t * _S)) for t in takes_at_s] == granted


def test_the_gate_refuses_checks_beyond_its_rate_as_busy() -> None:
    """Argon2 checks beyond ``per_s`` (after the burst) are refused at once, unchecked."""
    now = [0]
    checked: list[str] = []

    def verify(password_hash: str | None, password: str) -> bool:
        checked.append(password)
        return password == "right"

    async def main() -> list[object]:
        gate = PasswordGate(
            verify, concurrency=1, queue=8, per_s=1.0, burst=2, clock=lambda: now[0]
        )
        answers: list[object] = []
        try:
            for password in ("a", "b", "c"):
                try:
                    answers.append(await gate.check("hash", password))
                except Busy:
                    answers.append("busy")
            assert gate.full  # no token left: a login is refused before the account is read
            now[0] += 1 * _S
            answers.append(await gate.check("hash", "right"))
        finally:
            gate.close()
        return answers

    assert asyncio.run(main()) == [False, False, "busy", True]
    assert checked == ["a", "b", "right"]
