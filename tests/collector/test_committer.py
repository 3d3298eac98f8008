"""The committer tells the brain when the store was deaf: silence it caused is not the kits'."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from collector.committer import Committer
from collector.server import Collector
from collector.store import open_store
from collector.store.base import Store
from collector.store.model import BatchOutcome, IngestBatch, RecordRow

SITE = "3171011001005"


class DiskFullWhileTold:
    """A real SQLite store whose commits fail with SQLite's own full-disk error while
    ``full`` is set (a real full disk cannot be made to come and go inside one test
    process without root and a mount; tests/chaos and the kit's tests do that)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.full = threading.Event()

    def commit(self, batches: Sequence[IngestBatch]) -> list[BatchOutcome]:
        if self.full.is_set():
            raise sqlite3.OperationalError("database or disk is full")
        return self._store.commit(batches)


def _batch(seq: int) -> IngestBatch:
    now = time.time_ns()
    row = RecordRow(seq, "signal", now, now, "monotonic", b"\x00payload")
    return IngestBatch("kit-1", SITE, [row], now, None, None)


def test_an_outage_is_reported_once_when_the_store_takes_commits_again(tmp_path: Path) -> None:
    real = open_store(tmp_path / "c.sqlite")
    real.add_agent("kit-1", SITE, "x")
    store = DiskFullWhileTold(real)
    outages: list[tuple[int, int]] = []
    committer = Committer(store)  # type: ignore[arg-type]
    committer.on_outage = lambda down, back: outages.append((down, back))

    before = 0

    async def scenario() -> None:
        nonlocal before
        await committer.commit(_batch(1))  # healthy: nothing to report
        assert outages == []
        store.full.set()
        for seq in (2, 3):
            with pytest.raises(sqlite3.OperationalError):
                await committer.commit(_batch(seq))
        before = time.time_ns()
        store.full.clear()
        outcome = await committer.commit(_batch(2))
        assert outcome.acked_through == 2
        await committer.commit(_batch(3))

    try:
        asyncio.run(scenario())
    finally:
        committer.close()
        real.close()
    assert len(outages) == 1
    down, back = outages[0]
    assert down <= before <= back


def test_the_collector_hands_the_outage_to_the_brain(tmp_path: Path) -> None:
    store = open_store(tmp_path / "c.sqlite")
    told: list[tuple[int, str, int | None]] = []

    async def scenario() -> None:
        collector = Collector(store)
        collector.brain.resume = lambda back, why, *, down_ns=None: told.append(  # type: ignore[method-assign]
            (back, why, down_ns)
        )
        await collector.start("127.0.0.1:0")
        try:
            assert collector.committer.on_outage is not None
            collector.committer.on_outage(1_000_000_000, 4_500_000_000)
            for _ in range(100):
                if any(down == 1_000_000_000 for _, _, down in told):
                    break
                await asyncio.sleep(0.01)
        finally:
            await collector.stop()

    try:
        asyncio.run(scenario())
    finally:
        store.close()
    # The brain is also told at its start (a grace for everyone); then the outage.
    assert (4_500_000_000, "could not store for 3.5 s", 1_000_000_000) in told
