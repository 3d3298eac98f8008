"""The live stream (Server-Sent Events): changed map rows, ticket changes, readings,
incidents acknowledged or escalated.

The ingest tells the hub which sites a commit touched (:meth:`LiveHub.committed`,
called from the committer's thread), the brain and the API tell it which tickets
changed (:meth:`LiveHub.tickets_changed`). Once a second at most, the hub reloads
the touched sites' rows once, keeps those that differ from what it last sent, and
hands every subscriber the ones its account may see (rows are serialised once per
network scope, not once per subscriber). Every ``full_every_s`` it reloads every
site, so that time-driven changes (a site falling silent) go out too.

Each subscriber has a bounded queue. One that falls behind (a slow browser, a
stalled proxy) has its backlog dropped and gets ``event: resync``: it fetches
``/api/v1/map`` again and carries on. Memory stays bounded whatever the clients do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from collector import measurements
from collector.clocks import FUTURE
from collector.query import SiteRow
from collector.store.model import IngestBatch, Ticket
from collector.web.models import Ticket as TicketModel
from pantau.core.aio import wait_event

log = logging.getLogger(__name__)

RowLoader = Callable[[Sequence[str] | None], Awaitable[dict[str, SiteRow]]]

#: Readings queued per watched site between two deliveries (the newest are kept).
MAX_READINGS = 256


def scoped_row(row: list[Any], network: str | None) -> list[Any]:
    """A map row as an account scoped to ``network`` sees it (None: unscoped): of the
    networks' own statuses (the last column), only its own network's."""
    if network is None or not row[-1]:
        return row
    own = {k: v for k, v in row[-1].items() if k == network}
    return [*row[:-1], own]


def sse(event: str, data: Any) -> bytes:
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)  # strict JSON only
    return f"event: {event}\ndata: {text}\n\n".encode()


@dataclass(eq=False)
class Subscriber:
    scoped: bool  # limited to one network
    operator: str | None  # that network (MCC-MNC)
    site: str | None  # also stream this site's readings
    queue: asyncio.Queue[bytes | None]
    resyncs: int = 0
    sent: int = 0
    closed: bool = field(default=False)

    def sees(self, operator: str | None) -> bool:
        """A ticket about ``operator``."""
        return not self.scoped or (operator is not None and operator == self.operator)

    def sees_site(self, networks: tuple[str, ...]) -> bool:
        """A site known on ``networks`` (:attr:`collector.query.SiteRow.networks`)."""
        return not self.scoped or (self.operator is not None and self.operator in networks)


class LiveHub:
    def __init__(
        self,
        load_rows: RowLoader,
        *,
        queue_size: int = 64,
        interval_s: float = 1.0,
        full_every_s: float = 30.0,
    ) -> None:
        self._load_rows = load_rows
        self.queue_size = queue_size
        self.interval_s = interval_s
        self.full_every_s = full_every_s
        self.version = 0
        self.subscribers: set[Subscriber] = set()
        self._last: dict[str, list[Any]] = {}  # code -> map row last sent
        self._networks: dict[str, tuple[str, ...]] = {}  # code -> the site's networks
        self._lock = asyncio.Lock()  # one load at a time: the loop's tick or a map request
        self._dirty: set[str] = set()
        self._tickets: dict[int, Ticket] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._loaded = False
        self.ticks = 0

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Load every site's row (what the first subscribers' map shows), then run."""
        self._loop = asyncio.get_running_loop()
        try:
            await self.tick(full=True)
        except Exception:  # isolation boundary: the database may be restarting; a tick retries
            log.exception("live stream: cannot load the sites")
        self._task = asyncio.create_task(self._run(), name="live-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for sub in list(self.subscribers):
            self._close(sub)

    # -- being told what changed -------------------------------------------------------------

    def committed(self, batches: Sequence[IngestBatch]) -> None:
        """After a commit (any thread): these batches' sites changed."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(self._on_commit, list(batches))

    def sites_changed(self, codes: Iterable[str]) -> None:
        """On the loop: these sites changed (in any way); rows go out at the next tick."""
        self._dirty.update(codes)
        self._wake.set()

    def tickets_changed(self, tickets: Iterable[Ticket]) -> None:
        """On the loop: these tickets were opened or changed."""
        for ticket in tickets:
            self._tickets[ticket.id] = ticket
            self._dirty.add(ticket.site_code)
        self._wake.set()

    def incident_changed(self, incident_id: int, operator: str) -> None:
        """On the loop: a person acknowledged or escalated this incident; subscribers who
        see its network get ``event: incidents`` at once (people act rarely)."""
        message = sse("incidents", {"incidents": [{"id": incident_id, "operator": operator}]})
        for sub in list(self.subscribers):
            if sub.sees(operator):
                self._put(sub, message)

    def _on_commit(self, batches: list[IngestBatch]) -> None:
        self.sites_changed(b.site_code for b in batches)
        watched = {s.site for s in self.subscribers if s.site is not None}
        if not watched:
            return
        for batch in batches:
            if batch.site_code not in watched:
                continue
            for row in batch.rows:
                if row.kind not in ("signal", "ping", "throughput"):
                    continue
                record = measurements.decode_payload(row.payload)
                if record is None:
                    continue
                future = row.time_quality == FUTURE
                item = measurements.item(row.kind, row.event_ns, record, future=future)
                if item is None:
                    continue
                message = sse("reading", {"site": batch.site_code, "kind": row.kind, "item": item})
                for sub in self.subscribers:
                    if sub.site == batch.site_code:
                        self._put(sub, message)

    # -- subscribers -----------------------------------------------------------------------

    def subscribe(self, *, scoped: bool, operator: str | None, site: str | None) -> Subscriber:
        sub = Subscriber(scoped, operator, site, asyncio.Queue(maxsize=self.queue_size))
        self.subscribers.add(sub)
        self._put(sub, sse("hello", {"version": self.version}))
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def _put(self, sub: Subscriber, message: bytes) -> None:
        if sub.closed:
            return
        try:
            sub.queue.put_nowait(message)
        except asyncio.QueueFull:
            # Fallen behind: drop its backlog, tell it to fetch the map again.
            while not sub.queue.empty():
                sub.queue.get_nowait()
            sub.resyncs += 1
            sub.queue.put_nowait(sse("resync", {"version": self.version}))

    def _close(self, sub: Subscriber) -> None:
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)
        sub.closed = True
        self.subscribers.discard(sub)

    # -- the tick ------------------------------------------------------------------------------

    async def _run(self) -> None:
        last_full = time.monotonic()
        while True:
            # Woken by a change, or when the next full reload is due (time alone changes
            # a status: a site falls silent with no event at all).
            due = max(0.0, self.full_every_s - (time.monotonic() - last_full))
            await wait_event(self._wake, due)
            self._wake.clear()
            try:
                if time.monotonic() - last_full >= self.full_every_s:
                    last_full = time.monotonic()
                    self._dirty.clear()
                    await self.tick(full=True)
                else:
                    await self.tick()
            except Exception:  # the hub must outlive a failing read (a database restart)
                log.exception("live stream: cannot load the changed sites")
            await asyncio.sleep(self.interval_s)

    async def current(self) -> None:
        """Bring the rows up to date now (for ``/api/v1/map``): the sites changed since
        the last tick are loaded at once instead of at the next one, so an answer shows
        every commit and ticket change the hub has been told of; concurrent callers share
        one load. Time alone (a site falling silent) shows at the next full reload."""
        if self._loaded and not self._dirty and not self._tickets:
            return
        await self.tick()

    def map_rows(self) -> list[tuple[tuple[str, ...], list[Any]]]:
        """Every site's (networks, map row) as of :attr:`version`, in code order."""
        return [(self._networks[code], self._last[code]) for code in sorted(self._last)]

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def tick(self, *, full: bool = False) -> None:
        """Load the changed sites (all with ``full``), send what differs."""
        async with self._lock:
            if not full and self._loaded and not self._dirty and not self._tickets:
                return  # a concurrent caller has just done it
            await self._tick(full=full)

    async def _tick(self, *, full: bool) -> None:
        self.ticks += 1
        if not self._loaded:
            full = True
        dirty = sorted(self._dirty)
        self._dirty.clear()
        tickets = list(self._tickets.values())
        self._tickets.clear()
        changed: list[tuple[tuple[str, ...], list[Any]]] = []
        if full or dirty:
            try:
                rows = await self._load_rows(None if full else dirty)
            except BaseException:
                self._dirty.update(dirty)  # kept for the next try
                for ticket in tickets:
                    self._tickets.setdefault(ticket.id, ticket)
                raise
            codes: Iterable[str] = set(self._last) | set(rows) if full else dirty
            for code in codes:
                row = rows.get(code)
                if row is None:
                    continue  # a site is never deleted while the collector runs
                map_row = row.map_row()
                if self._last.get(code) != map_row:
                    if self._loaded:
                        changed.append((row.networks, map_row))
                    self._last[code] = map_row
                    self._networks[code] = row.networks
            self._loaded = True
        if not changed and not tickets:
            return
        if changed:
            self.version += 1
        self._send(changed, tickets)

    def _send(
        self, changed: list[tuple[tuple[str, ...], list[Any]]], tickets: list[Ticket]
    ) -> None:
        by_scope: dict[tuple[bool, str | None], list[bytes]] = {}
        for sub in list(self.subscribers):
            key = (sub.scoped, sub.operator if sub.scoped else None)
            messages = by_scope.get(key)
            if messages is None:
                messages = []
                scope = sub.operator if sub.scoped else None
                rows = [scoped_row(r, scope) for ns, r in changed if sub.sees_site(ns)]
                if rows:
                    messages.append(sse("sites", {"version": self.version, "rows": rows}))
                visible = [
                    TicketModel.of(t).model_dump(mode="json")
                    for t in tickets
                    if sub.sees(t.operator)
                ]
                if visible:
                    messages.append(sse("tickets", {"tickets": visible}))
                by_scope[key] = messages
            for message in messages:
                self._put(sub, message)
                sub.sent += 1
