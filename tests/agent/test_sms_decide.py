"""When the kit sends a lifeline SMS: the pure engine, one table."""

from __future__ import annotations

import pytest

from agent.sms.decide import Policy, Reason, State, decide, sent

P = Policy(after_s=600, repeat_s=3600, daily_budget=2)
DOWN_AT_0 = State(down_since_s=0.0, day=10)


@pytest.mark.parametrize(
    ("state", "now_s", "day", "up", "reg", "reason"),
    [
        (State(day=10), 0, 10, True, 1, Reason.UPLINK_UP),
        (State(day=10), 0, 10, False, 1, Reason.NOT_DOWN_LONG_ENOUGH),
        (DOWN_AT_0, 599, 10, False, 1, Reason.NOT_DOWN_LONG_ENOUGH),
        (DOWN_AT_0, 600, 10, False, 1, Reason.SEND),
        (DOWN_AT_0, 600, 10, False, 5, Reason.SEND),  # roaming
        (DOWN_AT_0, 600, 10, False, 7, Reason.SEND),  # SMS only, roaming
        (DOWN_AT_0, 600, 10, False, 2, Reason.NOT_REGISTERED),  # searching
        (DOWN_AT_0, 600, 10, False, 3, Reason.NOT_REGISTERED),  # denied
        (DOWN_AT_0, 600, 10, False, None, Reason.NOT_REGISTERED),  # modem unreadable
        (State(0.0, 500.0, 10, 1), 4099, 10, False, 1, Reason.RATE_LIMITED),
        (State(0.0, 500.0, 10, 1), 4100, 10, False, 1, Reason.SEND),
        (State(0.0, 500.0, 10, 2), 9000, 10, False, 1, Reason.BUDGET_SPENT),
        (State(0.0, 500.0, 10, 2), 9000, 11, False, 1, Reason.SEND),  # a new UTC day
        (State(0.0, 500.0, 10, 2), 9000, 9, False, 1, Reason.BUDGET_SPENT),  # clock set back
        # a flap does not buy a new SMS: the last one still counts
        (State(None, 500.0, 10, 1), 1200, 10, False, 1, Reason.NOT_DOWN_LONG_ENOUGH),
        (State(700.0, 500.0, 10, 1), 1300, 10, False, 1, Reason.RATE_LIMITED),
    ],
)
def test_decide(
    *, state: State, now_s: float, day: int, up: bool, reg: int | None, reason: Reason
) -> None:
    decision = decide(P, state, now_s=now_s, day=day, uplink_up=up, registration=reg)
    assert decision.reason is reason
    assert decision.send is (reason is Reason.SEND)


def test_the_outage_clock_starts_when_first_seen_down_and_stops_when_up() -> None:
    d = decide(P, State(day=10), now_s=100, day=10, uplink_up=False, registration=1)
    assert d.state.down_since_s == 100
    d = decide(P, d.state, now_s=700, day=10, uplink_up=False, registration=1)
    assert (d.send, d.down_for_s) == (True, 600)
    after = sent(d.state, now_s=700, day=10)
    assert (after.last_sent_s, after.sent_today) == (700, 1)
    d = decide(P, after, now_s=800, day=10, uplink_up=True, registration=1)
    assert d.state.down_since_s is None and d.state.last_sent_s == 700


def test_sent_on_a_new_day_restarts_the_count() -> None:
    assert sent(State(day=3, sent_today=5), now_s=1, day=4).sent_today == 1


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"after_s": -1}, "after_s=-1: expected >= 0"),
        ({"repeat_s": 0}, "repeat_s=0: expected > 0"),
        ({"daily_budget": -1}, "daily_budget=-1: expected >= 0"),
    ],
)
def test_policy_refusals(kwargs: dict[str, float], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Policy(**kwargs)  # type: ignore[arg-type]
