"""Admission control for reconnect storms: who may start now, who waits, who comes back
later and when (pure).

No I/O and no clock: the servicer (:mod:`collector.ingest`) passes the time in
(``now_s``, any monotonic seconds) and a jitter draw in [0, 1), and does the waiting.
One :class:`Gate` bounds one kind of work done for many kits at once::

    gate.arrive(now_s, jitter) -> Admit        a slot is free: it is the kit's
                               -> Wait         the slots are taken, the queue is not:
                                               wait (for at most the servicer's bound)
                               -> Refuse(ms)   queue full: come back in ``retry_after_ms``
    gate.release()             -> True         the slot passes to the oldest waiter
                               -> False        the slot is free
    gate.gave_up(now_s, jitter) -> Refuse(ms)  a waiter that waited its bound
    gate.refuse(now_s, jitter)  -> Refuse(ms)  a kit turned away for another reason (its
                                               handshake took too long): demand too
    gate.left_queue()                          a waiter that went away (kit hung up)

*When to come back*: every refusal is remembered as demand that will return (a count
that halves every ``demand_half_life_s``). A refused kit is told to retry after
``retry_min_ms`` plus a share, drawn by ``jitter``, of a window of
``retry_per_kit_ms`` per kit of demand (the kits waiting and the refusals remembered,
this one included), at most ``retry_max_ms`` wide: 20,000 kits refused together are
spread over 20,000 x ``retry_per_kit_ms`` instead of all coming back at once, and a
single kit turned away in a quiet minute comes back in about ``retry_min_ms``.
``retry_per_kit_ms`` is the inverse of the rate at which the collector admits kits
(5 ms: 200 handshakes a second).

:func:`ack_delay_s` paces a stream that drains a backlog without a drain slot: its
acks come no faster than its records at ``records_per_s`` allow, and never later than
``max_delay_s`` (below the kit's ack timeout: a paced stream is not mistaken for a
stalled one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: A retry-after beyond this is absurd (the agent clamps to it, docs/operations.md).
MAX_RETRY_AFTER_MS: Final = 600_000


@dataclass(frozen=True, slots=True)
class Limits:
    """One gate's bounds (validated: :meth:`__post_init__`)."""

    concurrent: int
    queue: int = 0
    retry_min_ms: int = 1_000
    retry_per_kit_ms: float = 5.0
    retry_max_ms: int = 120_000
    demand_half_life_s: float = 30.0

    def __post_init__(self) -> None:
        if self.concurrent < 1:
            raise ValueError(f"concurrent must be at least 1, got {self.concurrent}")
        if self.queue < 0:
            raise ValueError(f"queue must be 0 or more, got {self.queue}")
        if not 0 <= self.retry_min_ms <= self.retry_max_ms <= MAX_RETRY_AFTER_MS:
            raise ValueError(
                f"need 0 <= retry_min_ms ({self.retry_min_ms}) <= retry_max_ms "
                f"({self.retry_max_ms}) <= {MAX_RETRY_AFTER_MS}"
            )
        if not self.retry_per_kit_ms >= 0:
            raise ValueError(f"retry_per_kit_ms must be >= 0, got {self.retry_per_kit_ms}")
        if not self.demand_half_life_s > 0:
            raise ValueError(f"demand_half_life_s must be > 0, got {self.demand_half_life_s}")


@dataclass(frozen=True, slots=True)
class Admit:
    """Go ahead: the kit holds a slot until :meth:`Gate.release`."""


@dataclass(frozen=True, slots=True)
class Wait:
    """Queued: wait for a slot handed over by :meth:`Gate.release` (or give up)."""


@dataclass(frozen=True, slots=True)
class Refuse:
    """Not now: the kit is to come back after ``retry_after_ms``."""

    retry_after_ms: int


Decision = Admit | Wait | Refuse


class Gate:
    """Slots for one kind of work, a bounded queue for them, and the demand turned away."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.active = 0  # slots held
        self.waiting = 0  # kits queued for a slot
        self.refused = 0  # refusals in all (for the metrics)
        self._demand = 0.0  # refusals remembered, halving every demand_half_life_s
        self._demand_at = 0.0

    @property
    def demand(self) -> float:
        """The refusals remembered at the last decision (not decayed since)."""
        return self._demand

    def arrive(self, now_s: float, jitter: float) -> Decision:
        """A kit asks for a slot at ``now_s``; ``jitter`` in [0, 1) draws its retry time."""
        if self.active < self.limits.concurrent and self.waiting == 0:
            self.active += 1
            return Admit()
        if self.waiting < self.limits.queue:
            self.waiting += 1
            return Wait()
        return self._refuse(now_s, jitter)

    def release(self) -> bool:
        """A slot is given back: True when it passes straight to a waiter (wake the
        oldest), False when it is free."""
        if self.active <= 0:
            raise ValueError("release() without a slot held")
        if self.waiting:
            self.waiting -= 1
            return True
        self.active -= 1
        return False

    def gave_up(self, now_s: float, jitter: float) -> Refuse:
        """A waiter waited as long as it may: it leaves the queue, refused."""
        self.left_queue()
        return self._refuse(now_s, jitter)

    def refuse(self, now_s: float, jitter: float) -> Refuse:
        """A kit turned away for another reason (a handshake over its bound): counted as
        demand like any refusal."""
        return self._refuse(now_s, jitter)

    def left_queue(self) -> None:
        """A waiter went away before a slot came (its kit hung up)."""
        if self.waiting <= 0:
            raise ValueError("left_queue() with no one waiting")
        self.waiting -= 1

    def retry_after_ms(self, now_s: float, jitter: float) -> int:
        """When a kit turned away now should come back (without counting it as demand)."""
        limits = self.limits
        demand = self._decayed(now_s) + self.waiting + 1
        window = min(limits.retry_max_ms - limits.retry_min_ms, demand * limits.retry_per_kit_ms)
        return limits.retry_min_ms + int(min(max(jitter, 0.0), 1.0) * window)

    def _refuse(self, now_s: float, jitter: float) -> Refuse:
        retry = self.retry_after_ms(now_s, jitter)
        self._demand = self._decayed(now_s) + 1
        self._demand_at = now_s
        self.refused += 1
        return Refuse(retry)

    def _decayed(self, now_s: float) -> float:
        elapsed = max(0.0, now_s - self._demand_at)
        return float(self._demand * 0.5 ** (elapsed / self.limits.demand_half_life_s))


def ack_delay_s(
    records: int, records_per_s: float, since_last_ack_s: float, *, max_delay_s: float
) -> float:
    """How long to hold the ack of ``records`` on a paced stream whose last ack went
    ``since_last_ack_s`` ago, so that it drains at most ``records_per_s``: 0 at once,
    never more than ``max_delay_s``."""
    if records_per_s <= 0 or records <= 0:
        return 0.0
    return min(max_delay_s, max(0.0, records / records_per_s - since_last_ack_s))


def backlog_records(head_seq: int, acked_through: int) -> int:
    """The records a kit holds that the collector has not stored: its Hello's
    ``head_seq`` (0: not told) above the Welcome's ``acked_through``."""
    return max(0, head_seq - acked_through)
