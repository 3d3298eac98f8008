"""Group commit: one writer thread stores the batches of many streams at once.

A stream hands its checked batch to :meth:`Committer.commit` and waits on its own
future; the writer thread drains whatever is queued (up to ``max_group`` batches)
into one store transaction, so a thousand kits cost one fsync, not a thousand. If
that transaction fails, each batch is retried alone, so one agent's bad batch never
fails another's: a batch that still fails has its exception set on its own future
(the stream tells its kit UNAVAILABLE; nothing is acked, the kit retries).

After each transaction the batches it held go to ``on_commit`` (the live stream
learns which sites changed), in the writer thread.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collector.store import Store
from collector.store.model import BatchOutcome, IngestBatch

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    batch: IngestBatch
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[BatchOutcome]


class Committer:
    """One writer thread storing the queued batches of every stream, a group at a time."""

    def __init__(
        self,
        store: Store,
        *,
        max_group: int = 512,
        on_commit: Callable[[Sequence[IngestBatch]], None] | None = None,
    ) -> None:
        self._store = store
        self._max_group = max_group
        #: Called in the writer thread with the batches of each committed transaction
        #: (the live stream learns which sites changed); it must not block.
        self.on_commit = on_commit
        #: Called in the writer thread as ``(down_ns, back_ns)`` when the store takes a
        #: commit again after groups of which nothing could be stored (a full disk, a
        #: lost database): the kits were not silent then, this collector was deaf. It
        #: must not block.
        self.on_outage: Callable[[int, int], None] | None = None
        self._failing_since_ns: int | None = None
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="pantau-committer", daemon=True)
        self._thread.start()

    async def commit(self, batch: IngestBatch) -> BatchOutcome:
        """Store ``batch`` in the next group transaction; raises what the store raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[BatchOutcome] = loop.create_future()
        self._queue.put(_Pending(batch, loop, future))
        return await future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self._max_group:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                group.append(item)
            self._commit_group(group)

    def _commit_group(self, group: list[_Pending]) -> None:
        try:
            outcomes = self._store.commit([p.batch for p in group])
        except Exception:  # isolation boundary: whatever failed, store each batch alone
            if len(group) > 1:
                log.warning(
                    "a group commit of %d batches failed; storing each alone", len(group),
                    exc_info=True,
                )  # fmt: skip
            committed = []
            results: list[BatchOutcome | BaseException] = []
            for pending in group:
                try:
                    (outcome,) = self._store.commit([pending.batch])
                except Exception as exc:  # noqa: BLE001 - isolation boundary: to its stream
                    results.append(exc)
                else:
                    committed.append(pending.batch)
                    results.append(outcome)
            _resolve(group, results)
            if not committed and self._failing_since_ns is None:
                self._failing_since_ns = time.time_ns()
            self._committed(committed)
            return
        _resolve(group, outcomes)
        self._committed([p.batch for p in group])

    def _committed(self, batches: list[IngestBatch]) -> None:
        if batches and self._failing_since_ns is not None:
            down_ns, self._failing_since_ns = self._failing_since_ns, None
            back_ns = time.time_ns()
            log.warning("the store takes commits again after %.1f s", (back_ns - down_ns) / 1e9)
            if self.on_outage is not None:
                try:
                    self.on_outage(down_ns, back_ns)
                except (
                    Exception
                ):  # isolation boundary: an observer's failure must never stop the ingest
                    log.exception("the outage observer failed")
        if self.on_commit is None or not batches:
            return
        try:
            self.on_commit(batches)
        except Exception:  # isolation boundary: an observer's failure must never stop the ingest
            log.exception("the commit observer failed")


def _resolve(group: Sequence[_Pending], results: Sequence[BatchOutcome | BaseException]) -> None:
    """Settle the streams' futures from the writer thread: one wake-up of each event loop
    for the whole group, not one a batch."""
    by_loop: dict[
        asyncio.AbstractEventLoop, list[tuple[_Pending, BatchOutcome | BaseException]]
    ] = {}
    for pending, result in zip(group, results, strict=True):
        by_loop.setdefault(pending.loop, []).append((pending, result))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:  # that loop is closed: nobody waits for these any more
            log.debug("a group's event loop closed before its batches were settled")


def _settle(settled: Sequence[tuple[_Pending, BatchOutcome | BaseException]]) -> None:
    """On the streams' loop: each future gets its outcome or exception (unless a
    stream that went away cancelled its own)."""
    for pending, result in settled:
        if pending.future.done():
            continue
        if isinstance(result, BaseException):
            pending.future.set_exception(result)
        else:
            pending.future.set_result(result)
