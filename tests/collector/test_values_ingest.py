"""Values from kits through the real ingest (issue 13, items 1-3): a real grpc.aio server
on a free loopback port over SQLite. A value a modem can produce is acked and stored as
received; what the contract forbids is INVALID_ARGUMENT naming the record and field;
neither is ever UNAVAILABLE (which a kit retries for ever)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import grpc
import pytest
from storebackends import Backend
from test_ingest import run

from collector import auth
from collector.config import load_collector_config
from collector.server import Collector
from pantau.v1 import records_pb2, telemetry_pb2, telemetry_pb2_grpc

T = TypeVar("T")
SITE = "3171011001005"
S = 1_000_000_000


def reading(seq: int, *, wall_ns: int | None = None, **values: object) -> records_pb2.Record:
    """A signal reading stamped by a synced kit clock (now, unless ``wall_ns``)."""
    stamp = records_pb2.RecordTime(
        wall_unix_ns=time.time_ns() if wall_ns is None else wall_ns,
        monotonic_ns=S,
        boot_id="unanchored",  # the Hello anchors another boot: the wall clock counts
        clock_synced=True,
    )
    record = records_pb2.Record(seq=seq, time=stamp)
    record.signal.rat = records_pb2.RAT_LTE
    for name, value in values.items():
        setattr(record.signal, name, value)
    return record


async def send(
    port: int, token: str, *records: records_pb2.Record, boot: str = "hello-boot"
) -> telemetry_pb2.Ack:
    """One stream: Hello (anchoring ``boot``), one Batch; the Ack (an AioRpcError when
    refused)."""
    hello = telemetry_pb2.AgentMessage(
        hello=telemetry_pb2.Hello(
            agent_id="kit-1",
            sent_at=records_pb2.RecordTime(monotonic_ns=2**63 - 1, boot_id=boot),
        )
    )
    batch = telemetry_pb2.AgentMessage(batch=telemetry_pb2.Batch(records=records))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = telemetry_pb2_grpc.TelemetryStub(channel).Stream(
            metadata=(("authorization", f"Bearer {token}"),), timeout=30
        )
        replies = []
        for message in (hello, batch):
            await call.write(message)
            reply = await call.read()
            if reply is grpc.aio.EOF:
                code = await call.code()
                raise grpc.aio.AioRpcError(
                    code, grpc.aio.Metadata(), grpc.aio.Metadata(), await call.details()
                )
            replies.append(reply)
        await call.done_writing()
        assert [r.WhichOneof("msg") for r in replies] == ["welcome", "ack"]
        return replies[1].ack


async def refused(
    port: int, token: str, *records: records_pb2.Record, boot: str = "hello-boot"
) -> tuple[str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await send(port, token, *records, boot=boot)
    return info.value.code().name, info.value.details() or ""


def test_integers_beyond_int64_are_invalid_argument_or_stored_never_unavailable(
    tmp_path: Path,
) -> None:
    async def body(collector: Collector, token: str) -> None:
        port = collector.port
        # seq must fit int64: the contract forbids more (a bug in the kit's spool).
        code, details = await refused(port, token, reading(2**63, rsrp_dbm=-90.0))
        assert code == "INVALID_ARGUMENT"
        assert "record #0: seq 9223372036854775808 does not fit int64" in details
        # A monotonic time that puts the event time outside int64 (the Hello anchors
        # "hello-boot" at monotonic 2^63-1).
        wild = reading(1, rsrp_dbm=-90.0)
        wild.time.boot_id, wild.time.monotonic_ns = "hello-boot", -(2**63)
        code, details = await refused(port, token, wild)
        assert code == "INVALID_ARGUMENT"
        assert "record #0 (seq 1): time.monotonic_ns -9223372036854775808" in details
        assert list(collector.store.records()) == []
        # A cell id at 2^63 is legal uint64 a modem can produce: stored, acked, invalid.
        ack = await send(port, token, reading(1, rsrp_dbm=-90.0, cell_id=2**63))
        assert (ack.through_seq, ack.stored) == (1, 1)
        (stored,) = collector.store.records()
        assert records_pb2.Record.FromString(stored.payload).signal.cell_id == 2**63
        (site,) = collector.store.sites([SITE])
        assert site.signal is not None
        assert (site.signal.cell_id, site.signal.rsrp_dbm) == (None, -90.0)

    run(body, tmp_path)


def test_impossible_values_are_acked_stored_as_received_and_kept_out_of_the_live_view(
    tmp_path: Path,
) -> None:
    async def body(collector: Collector, token: str) -> None:
        wild = reading(
            1, rsrp_dbm=math.inf, rsrq_db=math.nan, sinr_db=13.0, lat_deg=95.0, lon_deg=400.0
        )
        ping = reading(2)
        ping.ping.CopyFrom(records_pb2.PingResult(loss_ratio=100.0, median_ms=-4.0))
        ping.ping.common.target = "1.1.1.1"
        ack = await send(collector.port, token, wild, ping)
        assert (ack.through_seq, ack.stored) == (2, 2)
        payloads = [records_pb2.Record.FromString(r.payload) for r in collector.store.records()]
        assert payloads[0].signal.rsrp_dbm == math.inf and payloads[1] == ping
        (site,) = collector.store.sites([SITE])
        assert site.signal is not None and site.ping is not None
        s = site.signal
        assert (s.rsrp_dbm, s.rsrq_db, s.sinr_db, s.lat, s.lon) == (None, None, 13.0, None, None)
        assert (site.ping.loss_ratio, site.ping.median_ms) == (None, None)

    run(body, tmp_path)


def test_a_reading_from_the_future_never_pins_the_live_view(tmp_path: Path) -> None:
    year_2100 = 4_102_444_800 * S

    async def body(collector: Collector, token: str) -> None:
        ack = await send(collector.port, token, reading(1, wall_ns=year_2100, rsrp_dbm=-60.0))
        assert ack.stored == 1
        (site,) = collector.store.sites([SITE])
        assert site.signal is None  # the 2100 reading is not the site's latest
        await send(collector.port, token, reading(2, rsrp_dbm=-101.0))
        (site,) = collector.store.sites([SITE])
        assert site.signal is not None and site.signal.rsrp_dbm == -101.0
        assert site.signal.event_ns <= time.time_ns()
        stored = {r.seq: r for r in collector.store.records()}
        assert (stored[1].event_ns, stored[1].time_quality) == (year_2100, "future")
        assert stored[2].time_quality == "synced-wall"

    run(body, tmp_path)


def test_the_future_tolerance_is_configurable(tmp_path: Path) -> None:
    config_file = tmp_path / "collector.toml"
    config_file.write_text("[ingest]\nfuture_tolerance_s = 3600\n", encoding="utf-8")
    config = load_collector_config(config_file)
    assert config.ingest.future_tolerance_s == 3600

    async def body(default: Collector, token: str) -> list[str]:
        configured = Collector(default.store, config=config)  # a replica with the setting
        await configured.start("127.0.0.1:0")
        try:
            half_hour, two_hours = time.time_ns() + 1800 * S, time.time_ns() + 7200 * S
            await send(configured.port, token, reading(1, wall_ns=half_hour, rsrp_dbm=-90.0))
            await send(configured.port, token, reading(2, wall_ns=two_hours, rsrp_dbm=-90.0))
            await send(default.port, token, reading(3, wall_ns=half_hour, rsrp_dbm=-90.0))
        finally:
            await configured.stop(0)
        return [r.time_quality for r in default.store.records()]

    assert run(body, tmp_path) == ["synced-wall", "future", "future"]


def on_store(backend: Backend, body: Callable[[Collector, str], Awaitable[T]]) -> T:
    """Like ``run``, on the backend under test (SQLite, then PostgreSQL)."""

    async def main() -> T:
        store = backend.open()
        credential = auth.new_credential("kit-1")
        store.add_agent("kit-1", SITE, auth.hash_secret(credential.secret))
        collector = Collector(store)
        await collector.start("127.0.0.1:0")
        try:
            return await body(collector, credential.token())
        finally:
            await collector.stop(0)
            store.close()

    return asyncio.run(main())


def test_a_hello_boot_id_no_store_can_hold_is_invalid_argument_on_both_stores(
    backend: Backend,
) -> None:
    """A NUL in the boot id failed every PostgreSQL commit: UNAVAILABLE for ever."""

    async def body(collector: Collector, token: str) -> tuple[str, str, int]:
        first = reading(1, rsrp_dbm=-90.0)
        code, details = await refused(collector.port, token, first, boot="b\x00t")
        return code, details, len(list(collector.store.records()))

    code, details, stored = on_store(backend, body)
    assert (code, stored) == ("INVALID_ARGUMENT", 0)
    assert "Hello.sent_at.boot_id holds a NUL character" in details


def test_text_a_store_cannot_hold_never_fails_the_batch_on_both_stores(backend: Backend) -> None:
    """PostgreSQL's text refuses NUL: the live state's columns get the text without it."""

    async def body(collector: Collector, token: str) -> tuple[int, str | None, str | None]:
        wild = reading(1, rsrp_dbm=-90.0, operator_name="Tel\x00kom", mcc="5\x0010")
        ping = reading(2)
        ping.ping.common.target = "\x00" * 10_000
        ping.ping.loss_ratio = 0.0
        ack = await send(collector.port, token, wild, ping)
        (site,) = collector.store.sites([SITE])
        assert site.signal is not None and site.ping is not None
        return ack.stored, site.signal.operator_name, site.signal.mcc

    assert on_store(backend, body) == (2, "Telkom", "510")
