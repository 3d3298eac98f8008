"""The probe scheduler: when each configured probe runs, and what it may cost.

Each probe runs every ``interval_s`` with ``jitter_ratio`` of random spread (so a
fleet of kits does not probe in lockstep), its first run at a random offset, and a
safety-net ``timeout_s`` around the prober's own timeouts. Results go to ``emit``
as contract messages; the scheduler never measures anything itself.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence

from agent import probes
from agent.config import ProbeEntry
from agent.records import Body, event
from pantau.v1 import records_pb2

Kind = records_pb2.AgentEvent.Kind


class Scheduler:
    def __init__(
        self,
        entries: Sequence[ProbeEntry],
        *,
        emit: Callable[[Body], None],
        on_error: Callable[[str], None],
    ) -> None:
        self._entries = tuple(entries)
        self._emit = emit
        self._on_error = on_error

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for entry in self._entries:
                group.create_task(self._loop(entry))

    async def run_once(self, entry: ProbeEntry) -> None:
        """Run one probe now and emit its result (or the timeout event)."""
        spec = probes.PROBERS[entry.kind]
        try:
            outcome = await asyncio.wait_for(
                spec.probe(entry.config, name=entry.name), entry.timeout_s
            )
        except TimeoutError:
            message = f"probe {entry.name} exceeded its timeout of {entry.timeout_s} s"
            self._on_error(message)
            self._emit(event(Kind.KIND_PROBE_SKIPPED, message, probe=entry.name))
        else:
            self._emit(spec.to_proto(outcome))  # type: ignore[arg-type]

    async def _loop(self, entry: ProbeEntry) -> None:
        await asyncio.sleep(random.uniform(0, entry.interval_s * max(entry.jitter_ratio, 0.05)))
        while True:
            started = time.monotonic()
            await self.run_once(entry)
            jitter = random.uniform(-entry.jitter_ratio, entry.jitter_ratio) * entry.interval_s
            elapsed = time.monotonic() - started
            await asyncio.sleep(max(0.0, entry.interval_s + jitter - elapsed))
