"""The scheduler: data budget enforcement (with a real throughput server), concurrency, timeouts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from agent.budget import Budget
from agent.config import ProbeEntry
from agent.probes import build_config
from agent.records import Body
from agent.scheduler import Scheduler
from collector.auth import hash_secret, new_credential
from collector.store.sqlite import SqliteStore
from collector.throughput import ThroughputServer
from pantau.v1 import records_pb2


def entry(name: str, kind: str, options: dict[str, Any], timeout_s: float = 10.0) -> ProbeEntry:
    config = build_config(kind, options, "test")
    return ProbeEntry(name, kind, 60.0, 0.1, timeout_s, config)


def test_throughput_runs_until_the_budget_is_spent_then_is_recorded_as_skipped(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "collector.db")
    credential = new_credential("kit-1")
    store.add_agent("kit-1", "3171011001005", hash_secret(credential.secret))
    budget = Budget(tmp_path / "agent" / "budget.json", 250_000)
    emitted: list[Body] = []

    async def main() -> None:
        server = ThroughputServer(store)
        port = await server.start("127.0.0.1", 0)
        options = {
            "target": "127.0.0.1",
            "port": port,
            "credential": credential.token(),
            "max_bytes": 100_000,
            "start_bytes": 50_000,
        }
        scheduler = Scheduler(
            [entry("tp", "throughput", options)],
            emit=emitted.append,
            on_error=lambda message: None,
            budget=budget,
        )
        try:
            for _ in range(4):
                await scheduler.run_once(scheduler._entries[0])
        finally:
            await server.stop()

    try:
        asyncio.run(main())
    finally:
        store.close()
    statuses = [b.common.status for b in emitted if isinstance(b, records_pb2.ThroughputResult)]
    # ~105 kB each on the wire: two runs fit under 250 kB, the third spends it, then skipped
    assert statuses == [records_pb2.PROBE_STATUS_OK] * 3 + [records_pb2.PROBE_STATUS_SKIPPED_BUDGET]
    skipped = emitted[-1]
    assert isinstance(skipped, records_pb2.ThroughputResult)
    assert skipped.common.probe_name == "tp" and skipped.common.target == "127.0.0.1"
    assert skipped.common.reason.startswith("daily data budget spent: ")
    assert skipped.common.bytes_used == 0
    used = sum(b.common.bytes_used for b in emitted if isinstance(b, records_pb2.ThroughputResult))
    assert budget.used_bytes == used and 300_000 < used < 350_000
    # the count survived in the data dir
    assert Budget(tmp_path / "agent" / "budget.json", 250_000).spent()


def test_cheap_probes_still_run_and_count_when_the_budget_is_spent(tmp_path: Path) -> None:
    budget = Budget(tmp_path / "budget.json", 1)
    budget.charge(1)
    emitted: list[Body] = []

    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            probe = entry("tcp", "tcp", {"target": "127.0.0.1", "port": port})
            await Scheduler([probe], emit=emitted.append, on_error=print, budget=budget).run_once(
                probe
            )

    asyncio.run(main())
    assert isinstance(emitted[0], records_pb2.TcpConnectResult)
    assert emitted[0].common.status == records_pb2.PROBE_STATUS_OK
    assert budget.used_bytes == 1 + emitted[0].common.bytes_used


def test_concurrency_limit_holds_probes_back() -> None:
    """Three probes against a server that holds each connection: with one slot, they run
    one after another, so at most one connection is ever open at once."""
    emitted: list[Body] = []
    peak = 0

    async def main() -> None:
        nonlocal peak
        open_now = 0

        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal open_now, peak
            open_now += 1
            peak = max(peak, open_now)
            await reader.read()  # until the prober closes
            open_now -= 1
            writer.close()

        server = await asyncio.start_server(hold, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}/"
        entries = [entry(f"h{i}", "http", {"url": url, "timeout_s": 0.1}) for i in range(3)]
        scheduler = Scheduler(entries, emit=emitted.append, on_error=print, max_concurrent=1)
        async with server:
            await asyncio.gather(*(scheduler.run_once(e) for e in entries))

    asyncio.run(main())
    assert peak == 1
    assert [b.common.status for b in emitted] == [records_pb2.PROBE_STATUS_TIMEOUT] * 3  # type: ignore[union-attr]


def test_safety_net_timeout_is_an_event() -> None:
    emitted: list[Body] = []
    errors: list[str] = []

    writers: list[asyncio.StreamWriter] = []

    async def main() -> None:
        with_silent = await asyncio.start_server(lambda r, w: writers.append(w), "127.0.0.1", 0)
        port = with_silent.sockets[0].getsockname()[1]
        probe = entry("h", "http", {"url": f"http://127.0.0.1:{port}/"}, timeout_s=0.1)
        async with with_silent:
            await Scheduler([probe], emit=emitted.append, on_error=errors.append).run_once(probe)
            for writer in writers:
                writer.close()

    asyncio.run(main())
    assert errors == ["probe h exceeded its timeout of 0.1 s"]
    assert isinstance(emitted[0], records_pb2.AgentEvent)
    assert emitted[0].kind == records_pb2.AgentEvent.KIND_PROBE_SKIPPED
