"""The admission gates on the event loop: the waiting, the clock and the jitter around
the pure :class:`collector.admission.Gate`.

:class:`AsyncGate` hands out slots (``async with gate.slot(): ...``), queues kits for at
most ``wait_s`` and raises :class:`Busy` (carrying the refusal, with its retry-after)
for a kit it cannot take. :class:`Admission` holds the ingest's two gates
(handshakes, backlog drains) built from the ``[ingest]`` configuration.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from collector.admission import Admit, Gate, Limits, Refuse
from collector.errors import CollectorError
from collector.refusals import Refusal, busy

if TYPE_CHECKING:
    from collector.config import IngestSection


class Busy(CollectorError):
    """The gate cannot take this kit now: end its stream with :attr:`refusal`."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class AsyncGate:
    """A :class:`~collector.admission.Gate` whose waiters wait on the event loop."""

    def __init__(
        self,
        name: str,
        limits: Limits,
        *,
        wait_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.name = name
        self.gate = Gate(limits)
        self.wait_s = wait_s
        self._clock = clock
        self._rng = rng
        #: Oldest first; not a deque: a waiter that leaves (of up to
        #: :data:`DRAIN_LINE`) is taken out in constant time.
        self._waiters: OrderedDict[asyncio.Future[None], None] = OrderedDict()

    async def enter(self) -> None:
        """Take a slot, waiting in the queue for at most ``wait_s``; raise :class:`Busy`."""
        decision = self.gate.arrive(self._clock(), self._rng())
        if isinstance(decision, Admit):
            return
        if isinstance(decision, Refuse):
            raise Busy(busy(self.name, decision.retry_after_ms))
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[waiter] = None
        try:
            await asyncio.wait({waiter}, timeout=self.wait_s)
        except BaseException:  # cancelled (the kit hung up): hand back what came meanwhile
            self._abandon(waiter)
            raise
        if waiter.done():
            return  # a slot was handed over
        del self._waiters[waiter]
        refused = self.gate.gave_up(self._clock(), self._rng())
        raise Busy(busy(self.name, refused.retry_after_ms))

    def try_enter(self) -> bool:
        """Take a slot if one is free now (never queue; nothing counted as refused)."""
        if self.gate.active < self.gate.limits.concurrent and self.gate.waiting == 0:
            self.gate.arrive(self._clock(), 0.0)
            return True
        return False

    def join_line(self) -> asyncio.Future[None] | None:
        """Wait in line for a slot with no time bound (after :meth:`try_enter` found none):
        a future done once a slot is handed over (it is then the caller's to
        :meth:`leave`); leave the line with :meth:`abandon`. None: the line is full
        (nothing is counted as refused)."""
        gate = self.gate
        if gate.waiting >= gate.limits.queue:
            return None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if isinstance(gate.arrive(self._clock(), 0.0), Admit):
            waiter.set_result(None)  # a slot was free after all
        else:
            self._waiters[waiter] = None
        return waiter

    def abandon(self, waiter: asyncio.Future[None]) -> None:
        """Leave the line joined by :meth:`join_line` (a slot handed over meanwhile is
        passed on)."""
        self._abandon(waiter)

    def leave(self) -> None:
        """Give the slot back: to the oldest waiter, or free."""
        if self.gate.release():
            oldest, _ = self._waiters.popitem(last=False)
            oldest.set_result(None)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.enter()
        try:
            yield
        finally:
            self.leave()

    def refuse(self, what: str) -> Busy:
        """Turn a kit away for another reason (``what``): the refusal to raise."""
        return Busy(busy(what, self.gate.refuse(self._clock(), self._rng()).retry_after_ms))

    def _abandon(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done() and not waiter.cancelled():
            self.leave()  # the slot came as the kit went: pass it on
        else:
            waiter.cancel()
            del self._waiters[waiter]
            self.gate.left_queue()


#: Streams paced for want of a drain slot that wait in line for one (beyond: paced,
#: and a slot only if one is free when a batch of theirs is acked).
DRAIN_LINE = 100_000


@dataclass(frozen=True, slots=True)
class DrainPolicy:
    """Backlogs: a stream whose kit holds more than ``threshold_records`` unstored
    records needs one of the drain slots to send them at ``full_records_per_s``;
    without one it is told ``trickle_records_per_s`` and its acks are paced to it
    (each held at most ``max_ack_delay_s``)."""

    threshold_records: int
    full_records_per_s: int
    trickle_records_per_s: int
    max_ack_delay_s: float


class Admission:
    """The ingest's gates: handshakes (Hello to Welcome) and backlog drains."""

    def __init__(
        self,
        handshakes: AsyncGate,
        drains: AsyncGate,
        drain: DrainPolicy,
        *,
        handshake_timeout_s: float,
    ) -> None:
        self.handshakes = handshakes
        self.drains = drains
        self.drain = drain
        self.handshake_timeout_s = handshake_timeout_s

    @classmethod
    def from_settings(cls, ingest: IngestSection) -> Admission:
        """The gates the ``[ingest]`` table asks for."""

        def limits(concurrent: int, queue: int) -> Limits:
            return Limits(
                concurrent=concurrent,
                queue=queue,
                retry_min_ms=ingest.retry_min_ms,
                retry_per_kit_ms=ingest.retry_per_kit_ms,
                retry_max_ms=ingest.retry_max_ms,
            )

        return cls(
            AsyncGate(
                "handshakes",
                limits(ingest.handshakes, ingest.handshake_queue),
                wait_s=ingest.handshake_wait_s,
            ),
            # Paced streams line up for a drain slot (no time bound: one is handed to
            # the oldest as soon as it is free, without waiting for its next batch).
            AsyncGate("backlog drains", limits(ingest.drains, DRAIN_LINE)),
            DrainPolicy(
                threshold_records=ingest.drain_threshold_records,
                full_records_per_s=ingest.drain_records_per_s,
                trickle_records_per_s=ingest.drain_trickle_records_per_s,
                max_ack_delay_s=ingest.max_ack_delay_s,
            ),
            handshake_timeout_s=ingest.handshake_timeout_s,
        )

    @classmethod
    def unlimited(cls) -> Admission:
        """Gates wide enough never to matter (tests and tools that build a servicer)."""
        wide = Limits(concurrent=1_000_000)
        return cls(
            AsyncGate("handshakes", wide),
            AsyncGate("backlog drains", wide),
            DrainPolicy(1 << 62, 0, 0, 0.0),
            handshake_timeout_s=60.0,
        )
