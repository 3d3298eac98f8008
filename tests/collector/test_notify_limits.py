"""Per-route pacing and update aggregation: pure decisions, time fed in."""

from __future__ import annotations

import pytest

from collector.notify_limits import MINUTE_NS, Collapse, MinuteBudget, Waiting, collapse_updates

S = 10**9


def test_a_budget_allows_per_minute_calls_in_any_60_seconds() -> None:
    budget = MinuteBudget(3)
    assert [budget.take(t * S) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert budget.free_at(3 * S) == 60 * S  # the first token comes back a minute on
    assert not budget.take(59 * S)
    assert budget.take(60 * S) and budget.take(61 * S) and budget.take(62 * S)
    assert not budget.take(62 * S)


def test_a_budget_never_exceeds_its_limit_over_a_long_driven_run() -> None:
    budget = MinuteBudget(7)
    sent = [t for t in range(0, 600 * S, S // 4) if budget.take(t)]
    for i, start in enumerate(sent):
        assert sum(1 for t in sent[i:] if t < start + MINUTE_NS) <= 7
    assert len(sent) == 70  # and it uses all of it: 7 a minute for 10 minutes


def test_a_budget_schedules_waiting_calls_as_its_tokens_come_back() -> None:
    budget = MinuteBudget(3)
    assert budget.schedule(0, 4) == [0, 0, 0, MINUTE_NS]
    for t in (0, 10 * S, 20 * S):
        assert budget.take(t)
    assert budget.schedule(30 * S, 7) == [
        60 * S, 70 * S, 80 * S,  # the three tokens, back a minute after use
        120 * S, 130 * S, 140 * S,  # and again a minute later
        180 * S,
    ]  # fmt: skip
    assert budget.schedule(65 * S, 2) == [65 * S, 70 * S]  # one token back already
    # Followed to the letter, the schedule keeps to the limit.
    times = budget.schedule(30 * S, 12)
    assert all(budget.take(t) for t in times)


def test_a_budget_refuses_a_limit_below_one() -> None:
    with pytest.raises(ValueError, match="per_minute: expected at least 1, got 0"):
        MinuteBudget(0)


U, T, R, A, E = "update", "trigger", "resolve", "acknowledge", "escalate"


@pytest.mark.parametrize(
    ("head", "after", "expected"),
    [
        # a lone update goes as it is
        ((1, U), [], None),
        # updates waiting behind an update: only the newest is sent
        ((1, U), [(2, U), (3, U)], Collapse((1, 2), 3)),
        # order of the input does not matter
        ((1, U), [(3, U), (2, U)], Collapse((1, 2), 3)),
        # a resolve ends the run: never jumped over, never collapsed
        ((1, U), [(2, U), (3, R), (4, U)], Collapse((1,), 2)),
        ((1, U), [(2, R), (3, U)], None),
        # acknowledge and escalate end it too
        ((1, U), [(2, A), (3, U)], None),
        ((1, U), [(2, U), (3, E)], Collapse((1,), 2)),
        # a trigger, resolve, acknowledge or escalate is never collapsed
        ((1, T), [(2, U), (3, U)], None),
        ((1, R), [(2, U)], None),
        ((1, E), [(2, E)], None),
        ((1, A), [(2, A)], None),
        # rows older than the head are not part of the run
        ((5, U), [(4, U), (6, U)], Collapse((5,), 6)),
    ],
)
def test_waiting_updates_collapse_into_the_newest(
    head: tuple[int, str], after: list[tuple[int, str]], expected: Collapse | None
) -> None:
    assert collapse_updates(Waiting(*head), [Waiting(*w) for w in after]) == expected
