"""When to send a lifeline SMS: a pure engine (no clock, no modem), table-tested.

The caller feeds what it observed (``now_s`` on a monotonic clock, the UTC day number,
whether the uplink is up, the modem's registration ``<stat>``) and the engine's last
state, and gets back a :class:`Decision`: send or not, why, and the state to keep.
After a send the caller records it with :func:`sent` (only once the modem accepted it).

Rules, in order:

1. the uplink is up -> no SMS (the outage clock stops; a later outage starts it again);
2. the uplink has been down for less than ``after_s`` -> wait;
3. the modem is not registered (home, roaming, SMS-only or CSFB-not-preferred count as
   registered: SMS goes over the signalling channel) -> wait;
4. the day's ``daily_budget`` is spent (the day is the caller's UTC day number; it only
   moves forward, so a clock set back never reopens a spent day) -> wait;
5. the last SMS (in this outage or an earlier one: a flapping link does not buy more)
   is less than ``repeat_s`` ago -> wait;
6. otherwise send.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

#: Registration states in which SMS can go out: 1 home, 5 roaming, 6/7 SMS only (home,
#: roaming), 9/10 CSFB not preferred (home, roaming).
SMS_CAPABLE_STATES: Final = frozenset({1, 5, 6, 7, 9, 10})


class Reason(StrEnum):
    SEND = "send"
    UPLINK_UP = "uplink-up"
    NOT_DOWN_LONG_ENOUGH = "not-down-long-enough"
    NOT_REGISTERED = "not-registered"
    BUDGET_SPENT = "budget-spent"
    RATE_LIMITED = "rate-limited"


@dataclass(frozen=True, slots=True)
class Policy:
    """``[sms]`` settings: first SMS after ``after_s`` down, then at most one every
    ``repeat_s``, at most ``daily_budget`` a UTC day."""

    after_s: float = 180.0
    repeat_s: float = 3600.0
    daily_budget: int = 6

    def __post_init__(self) -> None:
        if self.after_s < 0:
            raise ValueError(f"after_s={self.after_s}: expected >= 0")
        if self.repeat_s <= 0:
            raise ValueError(f"repeat_s={self.repeat_s}: expected > 0")
        if self.daily_budget < 0:
            raise ValueError(f"daily_budget={self.daily_budget}: expected >= 0")


@dataclass(frozen=True, slots=True)
class State:
    """What the engine remembers between calls."""

    down_since_s: float | None = None
    last_sent_s: float | None = None
    day: int = 0
    sent_today: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    send: bool
    reason: Reason
    state: State
    down_for_s: float = 0.0


def decide(
    policy: Policy,
    state: State,
    *,
    now_s: float,
    day: int,
    uplink_up: bool,
    registration: int | None,
) -> Decision:
    """Whether to send a status SMS now; see the module docstring for the rules."""
    if day > state.day:
        state = replace(state, day=day, sent_today=0)
    if uplink_up:
        return Decision(False, Reason.UPLINK_UP, replace(state, down_since_s=None))
    down_since_s = now_s if state.down_since_s is None else state.down_since_s
    state = replace(state, down_since_s=down_since_s)
    down_for_s = now_s - down_since_s
    if down_for_s < policy.after_s:
        return Decision(False, Reason.NOT_DOWN_LONG_ENOUGH, state, down_for_s)
    if registration not in SMS_CAPABLE_STATES:
        return Decision(False, Reason.NOT_REGISTERED, state, down_for_s)
    if state.sent_today >= policy.daily_budget:
        return Decision(False, Reason.BUDGET_SPENT, state, down_for_s)
    if state.last_sent_s is not None and now_s - state.last_sent_s < policy.repeat_s:
        return Decision(False, Reason.RATE_LIMITED, state, down_for_s)
    return Decision(True, Reason.SEND, state, down_for_s)


def sent(state: State, *, now_s: float, day: int) -> State:
    """The state after an SMS went out at ``now_s`` on ``day``."""
    if day > state.day:
        state = replace(state, day=day, sent_today=0)
    return replace(state, last_sent_s=now_s, sent_today=state.sent_today + 1)
