"""Per-route pacing and aggregation of notifications: pure decisions, no clock, no I/O.

:class:`MinuteBudget` is a token bucket of ``per_minute`` tokens in which each spent
token comes back exactly 60 s after it was spent. So a route never gets more than
``per_minute`` calls in any 60 s window (a sliding window, the strictest reading of a
receiver's "N a minute"), and after a quiet minute it may burst to ``per_minute`` at
once. Every call counts, refused ones too: a receiver that answers 503 is still
counting them. The dispatcher owns the clock and feeds it in.

:func:`collapse_updates` decides aggregation: when the row about to go is an
``update`` and newer rows of the same dedup key are waiting, the run of consecutive
``update`` rows that starts with it collapses into its newest. A trigger, acknowledge,
escalate or resolve is never collapsed and never jumped over, so the order per dedup
key holds and a resolve is never lost.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

MINUTE_NS = 60 * 10**9
#: Actions of which only the newest of a run needs to reach the receiver.
COLLAPSIBLE = frozenset({"update"})


@dataclass
class MinuteBudget:
    """At most ``per_minute`` calls in any 60 s window, driven by the caller's clock."""

    per_minute: int
    _spent: deque[int] = field(default_factory=deque, repr=False)

    def __post_init__(self) -> None:
        if self.per_minute < 1:
            raise ValueError(f"per_minute: expected at least 1, got {self.per_minute}")

    def _forget(self, now_ns: int) -> None:
        while self._spent and self._spent[0] + MINUTE_NS <= now_ns:
            self._spent.popleft()

    def free_at(self, now_ns: int) -> int:
        """When the next call may go: ``now_ns`` if now, else when a token comes back."""
        self._forget(now_ns)
        if len(self._spent) < self.per_minute:
            return now_ns
        return self._spent[0] + MINUTE_NS

    def schedule(self, now_ns: int, count: int) -> list[int]:
        """When each of ``count`` further calls may go, in order, if nothing else is
        sent: the k-th waits for the k-th token to come back (a minute per round)."""
        self._forget(now_ns)
        spent = list(self._spent)
        free = self.per_minute - len(spent)
        times: list[int] = []
        for k in range(count):
            if k < free:
                times.append(now_ns)
                continue
            rounds, index = divmod(k - free, self.per_minute)
            if index < len(spent):
                back = spent[index] + (rounds + 1) * MINUTE_NS
            else:  # a token free now, spent at now_ns by an earlier call of this schedule
                back = now_ns + (rounds + 1) * MINUTE_NS
            times.append(back)
        return times

    def take(self, now_ns: int) -> bool:
        """Spend a token for a call at ``now_ns``; False (nothing spent) if none is left."""
        if self.free_at(now_ns) > now_ns:
            return False
        self._spent.append(now_ns)
        return True


@dataclass(frozen=True, slots=True)
class Waiting:
    """An undelivered outbox row, as far as aggregation cares."""

    id: int
    action: str


@dataclass(frozen=True, slots=True)
class Collapse:
    """Rows ``superseded`` (oldest first) are settled by sending row ``by`` instead."""

    superseded: tuple[int, ...]
    by: int


def collapse_updates(head: Waiting, after: Sequence[Waiting]) -> Collapse | None:
    """Aggregation for the row about to be sent (``head``, the oldest undelivered row of
    its dedup key) given the newer undelivered rows of that key (``after``, any order).

    None when ``head`` should simply be sent.
    """
    if head.action not in COLLAPSIBLE:
        return None
    run = [head]
    for row in sorted(after, key=lambda r: r.id):
        if row.id <= head.id:
            continue
        if row.action != head.action:
            break
        run.append(row)
    if len(run) == 1:
        return None
    return Collapse(tuple(r.id for r in run[:-1]), run[-1].id)
