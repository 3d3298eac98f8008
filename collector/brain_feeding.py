"""How a committed batch reaches the rules, without the ingest ever waiting for them.

A site the engine holds takes the batch's observations at once (:meth:`Feeding.note`).
A site it does not hold yet (the collector restarted, a kit moved here from another
replica, or this replica took the site over) is first rebuilt from the store, which
already holds the batch (the ingest notes a batch only after its commit): the batch's
observations are *held* meanwhile and the rebuild runs in the background, one per
site however many batches arrive for it. When the rebuild has read the store, the
held observations are fed in arrival order, each kit's only above the seq the
rebuild read (what it read is in the window already), with no await in between, so
a batch noted after the rebuild is never fed before one held during it.

So a reconnect storm of 20,000 kits, each site's first batch after a restart asking
for a rebuild, is acked as fast as it is stored, and the rebuilds follow at the pace
the store and the event loop allow. A rebuild that fails (the store went away) drops
what it held: all of it is in the store, and the site's next batch asks for a new
rebuild, which reads it.

Until its rebuild has also squared the site's tickets with what it read, a pass does
not judge the site (it stays dirty, and its rebuild's end wakes the brain), so the
squaring never undoes what a pass did meanwhile.

:meth:`Feeding.settled` waits for the site's rebuild, for callers that judge right
after noting (tests).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from collector.observe import observations_from_record
from collector.rules import Heard, RuleEngine
from pantau.v1 import records_pb2

log = logging.getLogger(__name__)

#: Rebuilds under way at once, each of up to :data:`REBUILD_BATCH` sites read together
#: (their windows in one transaction, their tickets in one query: a site read alone
#: cost about 2 ms of the collector's CPU on PostgreSQL, mostly round trips). Their
#: reads run on asyncio's default threads, which the live view, the credential
#: re-checks and the brain's passes share; 20,000 sites rebuilt after a restart must
#: not queue ahead of those.
REBUILDS_AT_ONCE = 2
REBUILD_BATCH = 200


class Held(NamedTuple):
    """A batch noted while its site was being rebuilt."""

    received_ns: int
    records: Sequence[tuple[int, records_pb2.Record]]
    agent_id: str | None
    by_sms: bool


@dataclass(slots=True)
class RebuildQueue:
    """The sites waiting for a rebuild on one event loop, and the workers taking them."""

    loop: asyncio.AbstractEventLoop
    waiting: list[tuple[str, asyncio.Future[None]]] = field(default_factory=list)
    workers: set[asyncio.Future[None]] = field(default_factory=set)


class Feeding:
    """Mixed into the brain, whose state it shares."""

    engine: RuleEngine
    owns: Callable[[str], bool]
    on_foreign: Callable[[str, str | None], None] | None
    _known: set[str]
    _rebuilding: dict[str, asyncio.Future[None]]
    _rebuilt_through: dict[str, dict[str, int]]
    _held: dict[str, list[Held]]
    _rebuild_queue: RebuildQueue | None
    _dirty: set[str]
    _wake: asyncio.Event

    async def _rebuild_sites(self, site_codes: Sequence[str]) -> None:
        raise NotImplementedError  # the brain's

    def note(
        self,
        site_code: str,
        received_ns: int,
        records: Sequence[tuple[int, records_pb2.Record]],
        *,
        agent_id: str | None = None,
        by_sms: bool = False,
    ) -> None:
        """Newly stored records of one batch (``agent_id``'s), as (event_ns, record)
        pairs; pass them only when their event time is trustworthy (not an unsynced kit
        clock). An empty list still says the agent was heard. Never waits: a site not
        held yet is rebuilt in the background and the batch fed after it."""
        if not self.owns(site_code):
            if self.on_foreign is not None:
                self.on_foreign(site_code, None)
            return
        if site_code in self._known:
            self._feed(site_code, Held(received_ns, records, agent_id, by_sms), rebuilt=False)
            return
        self._held.setdefault(site_code, []).append(Held(received_ns, records, agent_id, by_sms))
        self._rebuild_of(site_code)

    async def settled(self, site_code: str) -> None:
        """Wait until what was noted of the site has reached the rules: its rebuild, if
        one is under way (its failure raised)."""
        pending = self._rebuilding.get(site_code)
        if pending is not None:
            await asyncio.shield(pending)

    async def take(self, site_code: str) -> None:
        """Make sure the engine holds the site: rebuilt from the store the first time."""
        if site_code not in self._known:
            await asyncio.shield(self._rebuild_of(site_code))

    def fed(self, site_code: str) -> dict[str, int]:
        """Per kit, the highest seq of the site this engine has been fed."""
        return dict(self._rebuilt_through.get(site_code, {}))

    def _rebuild_of(self, site_code: str) -> asyncio.Future[None]:
        """The site's rebuild under way or queued, or a new one, queued: the sites that
        wait are taken :data:`REBUILD_BATCH` at a time by up to
        :data:`REBUILDS_AT_ONCE` workers."""
        pending = self._rebuilding.get(site_code)
        if pending is not None:
            return pending
        loop = asyncio.get_running_loop()
        queue = self._rebuild_queue
        if queue is None or queue.loop is not loop:  # one per event loop (tests run several)
            queue = self._rebuild_queue = RebuildQueue(loop)
        pending = loop.create_future()
        self._rebuilding[site_code] = pending
        pending.add_done_callback(lambda done: self._rebuilt(site_code, done))
        queue.waiting.append((site_code, pending))
        if sum(not w.done() for w in queue.workers) < REBUILDS_AT_ONCE:  # a done one is out
            worker = asyncio.ensure_future(self._rebuild_worker(queue.waiting))
            queue.workers.add(worker)
            worker.add_done_callback(queue.workers.discard)
        return pending

    async def _rebuild_worker(self, waiting: list[tuple[str, asyncio.Future[None]]]) -> None:
        """Rebuild the waiting sites, a batch at a time, until none wait."""
        while waiting:
            batch = waiting[:REBUILD_BATCH]
            del waiting[:REBUILD_BATCH]
            try:
                await self._rebuild_sites([code for code, _ in batch])
            except Exception as exc:  # noqa: BLE001 - to every waiter of the batch
                for _, waiter in batch:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for _, waiter in batch:
                if not waiter.done():
                    waiter.set_result(None)

    def _rebuilt(self, site_code: str, done: asyncio.Future[None]) -> None:
        self._rebuilding.pop(site_code, None)
        if site_code in self._dirty:  # a pass left it for after its rebuild
            self._wake.set()
        if done.cancelled() or done.exception() is None:
            return
        dropped = self._held.pop(site_code, [])
        log.warning(
            "cannot rebuild site %s from the store (%s); its next batch tries again "
            "(%d batches held for it are in the store)", site_code, done.exception(), len(dropped),
        )  # fmt: skip

    def _replay_held(self, site_code: str) -> None:
        """Right after a rebuild has read the store (no await since): the batches held
        for the site, above what it read."""
        for held in self._held.pop(site_code, []):
            self._feed(site_code, held, rebuilt=True)

    def _feed(self, site_code: str, held: Held, *, rebuilt: bool) -> None:
        # What a rebuild or another replica's data already fed (read from the store,
        # which holds this batch too) is in the window once and must not be fed again.
        records = held.records
        fed = self._rebuilt_through.setdefault(site_code, {})
        read = fed.get(held.agent_id or "", 0)
        if held.agent_id is not None or rebuilt:
            records = [(t, r) for t, r in records if r.seq > read]
        if held.agent_id is not None and records:
            fed[held.agent_id] = max(r.seq for _, r in records)  # all above read
        observations = [o for event_ns, r in records for o in observations_from_record(r, event_ns)]
        observations.append(Heard(held.received_ns, held.by_sms))
        self.engine.observe(site_code, observations)
        self._dirty.add(site_code)
        self._wake.set()
