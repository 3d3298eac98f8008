"""The probe scheduler: when each configured probe runs, and what it may cost.

Each probe runs every ``interval_s`` with ``jitter_ratio`` of random spread (so a
fleet of kits does not probe in lockstep), its first run at a random offset, and a
safety-net ``timeout_s`` around the prober's own timeouts. At most ``max_concurrent``
probes measure at once (waiting for a slot does not count against the timeout).

Data budget: every result's ``common.bytes_used`` is charged to the :class:`Budget`.
Once the day's bytes are spent, probes whose prober is ``expensive`` (throughput) are not
run; their result is still recorded, with status ``PROBE_STATUS_SKIPPED_BUDGET`` and the
reason (the contract's way to say "not run": a failed or skipped probe is a result). Cheap
probes (ping, tcp, dns, ...) keep running: they are the outage evidence.

Results go to ``emit`` as contract messages; the scheduler never measures anything itself.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence

from agent import probes
from agent.budget import Budget
from agent.config import ProbeEntry
from agent.records import Body, event
from pantau.core.aio import within
from pantau.v1 import records_pb2

Kind = records_pb2.AgentEvent.Kind


def skipped_result(entry: ProbeEntry, reason: str) -> Body:
    """The result record of a probe that was not run because the budget is spent."""
    spec = probes.PROBERS[entry.kind]
    body_type = type(getattr(records_pb2.Record(), spec.record_field))
    common = records_pb2.ProbeCommon(
        probe_name=entry.name,
        target=probes.target_of(entry.config),
        status=records_pb2.PROBE_STATUS_SKIPPED_BUDGET,
        reason=reason,
        source=getattr(entry.config, "source", None),
        bytes_used=0,
    )
    body: Body = body_type(common=common)
    return body


class Scheduler:
    def __init__(
        self,
        entries: Sequence[ProbeEntry],
        *,
        emit: Callable[[Body], None],
        on_error: Callable[[str], None],
        budget: Budget | None = None,
        max_concurrent: int = 2,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        self._entries = tuple(entries)
        self._emit = emit
        self._on_error = on_error
        self._budget = budget
        self._slots = asyncio.Semaphore(max_concurrent)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for entry in self._entries:
                group.create_task(self._loop(entry))

    async def run_once(self, entry: ProbeEntry) -> None:
        """Run one probe now (when a slot is free) and emit its result or why it was not run."""
        spec = probes.PROBERS[entry.kind]
        budget = self._budget
        if spec.expensive and budget is not None and budget.spent():
            self._emit(skipped_result(entry, budget.describe()))
            return
        async with self._slots:
            try:
                outcome = await within(spec.probe(entry.config, name=entry.name), entry.timeout_s)
            except TimeoutError:
                message = f"probe {entry.name} exceeded its timeout of {entry.timeout_s} s"
                self._on_error(message)
                self._emit(event(Kind.KIND_PROBE_SKIPPED, message, probe=entry.name))
                return
        if budget is not None:
            budget.charge(outcome.common.bytes_used)
            if budget.problem is not None:
                self._on_error(budget.problem)
                budget.problem = None
        self._emit(spec.to_proto(outcome))  # type: ignore[arg-type]

    async def _loop(self, entry: ProbeEntry) -> None:
        await asyncio.sleep(random.uniform(0, entry.interval_s * max(entry.jitter_ratio, 0.05)))
        while True:
            started = time.monotonic()
            await self.run_once(entry)
            jitter = random.uniform(-entry.jitter_ratio, entry.jitter_ratio) * entry.interval_s
            elapsed = time.monotonic() - started
            await asyncio.sleep(max(0.0, entry.interval_s + jitter - elapsed))
