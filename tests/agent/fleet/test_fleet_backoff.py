"""A simulated kit counts its reconnect attempts as the real uplink does
(:func:`agent.uplink.next_attempt`): a refusal that said when to come back leaves the
back-off where it was; any other lost stream moves it one step."""

from __future__ import annotations

from agent.fleet.runner import Fleet, _StreamLost


def test_a_busy_refusal_does_not_count_towards_the_back_off() -> None:
    assert Fleet._next_attempt(2, _StreamLost(retry_after_s=1.5)) == 2
    assert Fleet._next_attempt(2, _StreamLost(retry_after_s=0.0)) == 2


def test_any_other_lost_stream_counts() -> None:
    assert Fleet._next_attempt(2, _StreamLost("ack short of the batch")) == 3
    assert Fleet._next_attempt(0, _StreamLost()) == 1
