"""The ingest against a real grpc.aio server on a free loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import grpc
import pytest
from machine import unavailable

from agent import clock
from agent.records import make_record
from agent.spool import Spool
from agent.uplink import Backoff, Uplink
from collector import auth
from collector.server import Collector
from collector.store.sqlite import SqliteStore
from pantau.v1 import records_pb2, telemetry_pb2, telemetry_pb2_grpc

T = TypeVar("T")
SITE = "3171011001005"


def run(factory: Callable[[Collector, str], Awaitable[T]], tmp_path: Path) -> T:
    """Start a collector with one enrolled agent ('kit-1'), run the test body, stop."""

    async def main() -> T:
        store = SqliteStore(tmp_path / "collector.sqlite")
        credential = auth.new_credential("kit-1")
        store.add_agent("kit-1", SITE, auth.hash_secret(credential.secret))
        collector = Collector(store)
        await collector.start("127.0.0.1:0")
        try:
            return await factory(collector, credential.token())
        finally:
            await collector.stop(0)
            store.close()

    return asyncio.run(main())


def record(
    seq: int, rsrp: float = -95.0, *, boot_id: str = "boot-a", mono: int = 10**12
) -> records_pb2.Record:
    r = records_pb2.Record(
        seq=seq,
        time=records_pb2.RecordTime(wall_unix_ns=5, monotonic_ns=mono, boot_id=boot_id),
    )
    r.signal.rsrp_dbm = rsrp
    return r


def hello(
    agent_id: str = "kit-1", *, mono: int = 2 * 10**12, site: str = SITE
) -> telemetry_pb2.AgentMessage:
    return telemetry_pb2.AgentMessage(
        hello=telemetry_pb2.Hello(
            agent_id=agent_id,
            claimed_site=site,
            sent_at=records_pb2.RecordTime(wall_unix_ns=5, monotonic_ns=mono, boot_id="boot-a"),
        )
    )


def batch(*records: records_pb2.Record) -> telemetry_pb2.AgentMessage:
    return telemetry_pb2.AgentMessage(batch=telemetry_pb2.Batch(records=records))


async def exchange(
    port: int, token: str | None, messages: list[telemetry_pb2.AgentMessage]
) -> list[telemetry_pb2.CollectorMessage]:
    """Send messages one at a time, reading one reply after each; return the replies."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = telemetry_pb2_grpc.TelemetryStub(channel)
        metadata = () if token is None else (("authorization", f"Bearer {token}"),)
        call = stub.Stream(metadata=metadata)
        replies = []
        for message in messages:
            await call.write(message)
            reply = await call.read()
            if reply is grpc.aio.EOF:
                break
            replies.append(reply)
        await call.done_writing()
        code = await call.code()
        if code != grpc.StatusCode.OK:
            raise grpc.aio.AioRpcError(
                code, grpc.aio.Metadata(), grpc.aio.Metadata(), await call.details()
            )
        return replies


def status_of(
    tmp_path: Path, token: Callable[[str], str | None], messages: list[telemetry_pb2.AgentMessage]
) -> tuple[grpc.StatusCode, str, int]:
    async def body(collector: Collector, good: str) -> tuple[grpc.StatusCode, str, int]:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await exchange(collector.port, token(good), messages)
        stored = len(list(collector.store.records()))
        return info.value.code(), info.value.details() or "", stored

    return run(body, tmp_path)


def test_batches_are_acked_after_storing_and_duplicates_are_not_stored_twice(
    tmp_path: Path,
) -> None:
    async def body(collector: Collector, token: str) -> None:
        replies = await exchange(collector.port, token, [hello(), batch(record(1), record(2))])
        welcome, ack = replies
        assert welcome.welcome.site_code == SITE and welcome.welcome.acked_through_seq == 0
        assert (ack.ack.through_seq, ack.ack.stored, ack.ack.duplicates) == (2, 2, 0)
        # Reconnect: the collector says where to resume; a resent record is a duplicate.
        replies = await exchange(
            collector.port, token, [hello(), batch(record(2), record(3, -101))]
        )
        assert replies[0].welcome.acked_through_seq == 2
        assert (replies[1].ack.through_seq, replies[1].ack.stored, replies[1].ack.duplicates) == (
            3,
            1,
            1,
        )
        stored = list(collector.store.records(agent_id="kit-1"))
        assert [r.seq for r in stored] == [1, 2, 3]
        assert {r.site_code for r in stored} == {SITE}
        assert records_pb2.Record.FromString(stored[2].payload).signal.rsrp_dbm == -101

    run(body, tmp_path)


def test_event_time_comes_from_the_monotonic_clock_not_the_kits_wall_clock(tmp_path: Path) -> None:
    """A kit whose wall clock says 1970 still gets true event times (anchored at Hello)."""

    async def body(collector: Collector, token: str) -> None:
        before = time.time_ns()
        # Hello at monotonic 2000 s; the record was taken at 1000 s: 1000 s before Hello.
        await exchange(
            collector.port, token, [hello(mono=2 * 10**12), batch(record(1, mono=10**12))]
        )
        after = time.time_ns()
        (stored,) = collector.store.records()
        assert stored.agent_wall_ns == 5  # what the kit said: 1970
        assert stored.time_quality == "monotonic"
        assert before - 10**12 <= stored.event_ns <= after - 10**12

    run(body, tmp_path)


def test_the_site_comes_from_the_enrollment_never_from_the_kit(tmp_path: Path) -> None:
    async def body(collector: Collector, token: str) -> None:
        silent = hello()
        silent.hello.ClearField("claimed_site")
        replies = await exchange(collector.port, token, [silent, batch(record(1))])
        assert replies[0].welcome.site_code == SITE
        assert [r.site_code for r in collector.store.records()] == [SITE]
        # A credential of another site (copied to the wrong kit) is refused outright.
        other = hello()
        other.hello.claimed_site = "3273011002012"
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await exchange(collector.port, token, [other, batch(record(2))])
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "enrolled for site 3171011001005, not '3273011002012'" in (
            info.value.details() or ""
        )
        assert [r.seq for r in collector.store.records()] == [1]

    run(body, tmp_path)


@pytest.mark.parametrize(
    ("token", "code", "detail"),
    [
        (lambda good: None, grpc.StatusCode.UNAUTHENTICATED, "no credential"),
        (lambda good: "kit-1.wrong-secret", grpc.StatusCode.UNAUTHENTICATED, "wrong credential"),
        (lambda good: "nobody.secret", grpc.StatusCode.UNAUTHENTICATED, "unknown agent"),
        (lambda good: "not a token", grpc.StatusCode.UNAUTHENTICATED, "not of the form"),
    ],
    ids=["none", "wrong-secret", "unknown-agent", "malformed"],
)
def test_bad_credentials_are_refused_and_nothing_is_stored(
    tmp_path: Path, token: Callable[[str], str | None], code: grpc.StatusCode, detail: str
) -> None:
    got_code, got_detail, stored = status_of(tmp_path, token, [hello(), batch(record(1))])
    assert got_code == code and detail in got_detail and stored == 0


def test_a_revoked_agent_is_refused(tmp_path: Path) -> None:
    async def body(collector: Collector, token: str) -> tuple[grpc.StatusCode, int]:
        collector.store.revoke_agent("kit-1")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await exchange(collector.port, token, [hello(), batch(record(1))])
        return info.value.code(), len(list(collector.store.records()))

    assert run(body, tmp_path) == (grpc.StatusCode.PERMISSION_DENIED, 0)


def test_a_refused_kit_whose_hello_is_still_on_its_way_reads_its_refusal(tmp_path: Path) -> None:
    """The Hello written a moment after the stream opened: the collector waits for it
    before ending the stream, so the client reads PERMISSION_DENIED and not the INTERNAL
    an asyncio client reports for a write racing the end of the call (grpc/grpc#36066)."""

    async def body(collector: Collector, token: str) -> tuple[grpc.StatusCode, str]:
        collector.store.revoke_agent("kit-1")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{collector.port}") as channel:
            call = telemetry_pb2_grpc.TelemetryStub(channel).Stream(
                metadata=(("authorization", f"Bearer {token}"),)
            )
            await asyncio.sleep(0.3)  # the kit is slow to write: the server answers first
            with contextlib.suppress(grpc.aio.AioRpcError):
                await call.write(hello())
                await call.read()
            return await call.code(), await call.details() or ""

    code, details = run(body, tmp_path)
    assert code == grpc.StatusCode.PERMISSION_DENIED, details
    assert "revoked" in details


@pytest.mark.parametrize(
    ("messages", "code", "detail"),
    [
        (
            [batch(record(1))],
            grpc.StatusCode.FAILED_PRECONDITION,
            "first message on a stream must be Hello",
        ),
        ([hello(), hello()], grpc.StatusCode.FAILED_PRECONDITION, "Hello may be sent only once"),
        ([hello("kit-2")], grpc.StatusCode.PERMISSION_DENIED, "names agent 'kit-2'"),
        ([hello(), batch()], grpc.StatusCode.INVALID_ARGUMENT, "empty batch"),
        (
            [hello(), batch(record(2), record(1))],
            grpc.StatusCode.INVALID_ARGUMENT,
            "record #1: seq 1 is not greater",
        ),
        (
            [hello(), batch(records_pb2.Record(seq=1, time=records_pb2.RecordTime(boot_id="b")))],
            grpc.StatusCode.INVALID_ARGUMENT,
            "has no body",
        ),
        (
            [
                hello(),
                batch(record(1), records_pb2.Record(seq=2, signal=records_pb2.SignalReading())),
            ],
            grpc.StatusCode.INVALID_ARGUMENT,
            "record #1 (seq 2) has no time",
        ),
    ],
    ids=["batch-first", "second-hello", "other-agent", "empty", "decreasing", "no-body", "no-time"],
)
def test_contract_violations_get_precise_codes_and_store_nothing(
    tmp_path: Path, messages: list[telemetry_pb2.AgentMessage], code: grpc.StatusCode, detail: str
) -> None:
    got_code, got_detail, stored = status_of(tmp_path, lambda good: good, messages)
    assert got_code == code and detail in got_detail and stored == 0


def test_random_bytes_as_a_message_are_refused(tmp_path: Path) -> None:
    async def body(collector: Collector, token: str) -> grpc.StatusCode:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{collector.port}") as channel:
            raw = channel.stream_stream(
                "/pantau.v1.Telemetry/Stream",
                request_serializer=lambda b: b,
                response_deserializer=telemetry_pb2.CollectorMessage.FromString,
            )
            call = raw(metadata=(("authorization", f"Bearer {token}"),))
            await call.write(b"\xff\x00garbage\x12\x99")
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call.read()
            return info.value.code()

    assert run(body, tmp_path) == grpc.StatusCode.INVALID_ARGUMENT


def test_one_agents_bad_batch_does_not_affect_another(tmp_path: Path) -> None:
    async def body(collector: Collector, token: str) -> None:
        other = auth.new_credential("kit-2")
        collector.store.add_agent("kit-2", "3273011002012", auth.hash_secret(other.secret))

        async def bad() -> None:
            with pytest.raises(grpc.aio.AioRpcError):
                await exchange(collector.port, token, [hello(), batch(record(3), record(3))])

        async def good() -> list[telemetry_pb2.CollectorMessage]:
            return await exchange(
                collector.port,
                other.token(),
                [hello("kit-2", site="3273011002012"), batch(record(1), record(2))],
            )

        _, replies = await asyncio.gather(bad(), good())
        assert replies[1].ack.through_seq == 2
        assert [(r.agent_id, r.seq) for r in collector.store.records()] == [
            ("kit-2", 1),
            ("kit-2", 2),
        ]

    run(body, tmp_path)


def test_the_uplink_drains_the_spool_into_the_store(tmp_path: Path) -> None:
    """Agent side end to end: spool -> Uplink -> collector; acked rows leave the spool."""

    async def body(collector: Collector, token: str) -> None:
        spool = Spool(
            tmp_path / "spool.sqlite",
            max_bytes=1 << 20,
            overflow_record=lambda *a: ("event", 3, b""),
        )
        rows = []
        for i in range(250):
            body_msg = records_pb2.SignalReading(rsrp_dbm=-80.0 - i % 30)
            rows.append(("signal", 2, make_record(clock.now(), body_msg).SerializeToString()))
        spool.append(rows)
        uplink = Uplink(
            spool,
            address=f"127.0.0.1:{collector.port}",
            credential=token,
            agent_id="kit-1",
            site=SITE,
            backoff=Backoff(0.05, 0.2),
            poll_s=0.05,
        )
        task = asyncio.create_task(uplink.run())
        try:
            async with asyncio.timeout(20):
                while spool.backlog().records:
                    await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        stored = list(collector.store.records(agent_id="kit-1"))
        assert [r.seq for r in stored] == list(range(1, 251))
        assert [records_pb2.Record.FromString(r.payload).signal.rsrp_dbm for r in stored] == [
            -80.0 - i % 30 for i in range(250)
        ]
        assert uplink.state.last_ack_seq == 250
        spool.close()

    run(body, tmp_path)


def test_after_an_outage_the_latest_state_comes_first_then_the_backlog_drains_bounded(
    tmp_path: Path,
) -> None:
    async def body(collector: Collector, token: str) -> None:
        spool = Spool(
            tmp_path / "spool.sqlite",
            max_bytes=1 << 26,
            overflow_record=lambda *a: ("event", 3, b""),
        )
        old = [
            (
                "signal",
                2,
                make_record(
                    clock.now(), records_pb2.SignalReading(rsrp_dbm=-120.0)
                ).SerializeToString(),
            )
            for _ in range(3000)
        ]
        spool.append(old)
        latest = make_record(clock.now(), records_pb2.SignalReading(rsrp_dbm=-70.0))
        spool.append([("signal", 2, latest.SerializeToString())])
        uplink = Uplink(spool, address=f"127.0.0.1:{collector.port}", credential=token,
                        agent_id="kit-1", site=SITE, backoff=Backoff(0.05, 0.2), poll_s=0.05,
                        backlog_records_per_s=1000)  # fmt: skip
        started = asyncio.get_running_loop().time()
        task = asyncio.create_task(uplink.run())
        try:
            async with asyncio.timeout(30):
                while True:
                    (site,) = collector.store.sites()
                    if site.signal is not None and site.signal.rsrp_dbm == -70.0:
                        break
                    await asyncio.sleep(0.02)
                stored_when_live = len(list(collector.store.records()))
                while spool.backlog().records:
                    await asyncio.sleep(0.05)
            drained_after = asyncio.get_running_loop().time() - started
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert stored_when_live < 3001  # live state arrived before the backlog finished
        assert [r.seq for r in collector.store.records()] == list(range(1, 3002))
        assert drained_after >= 1.5  # 3001 records at <= 1000 records/s after the first batch
        (site,) = collector.store.sites()
        assert site.signal is not None and site.signal.rsrp_dbm == -70.0
        spool.close()

    run(body, tmp_path)


def test_a_kit_booting_in_1970_that_syncs_an_hour_later_gets_true_event_times(
    tmp_path: Path,
) -> None:
    """Records from before the NTP sync (wall clock in 1970) and after it, one boot:
    all land at their true times, spaced exactly as the monotonic clock says."""
    hour = 3600 * 10**9

    async def body(collector: Collector, token: str) -> None:
        boot_mono = 50 * 10**9  # the agent started 50 s after boot
        unsynced = [record(i, mono=boot_mono + i * 60 * 10**9) for i in range(1, 4)]
        for r in unsynced:
            r.time.wall_unix_ns = r.time.monotonic_ns  # the clock says 1970
        synced = record(4, mono=boot_mono + hour)
        synced.time.wall_unix_ns = time.time_ns()
        synced.time.clock_synced = True
        before = time.time_ns()
        message = hello(mono=boot_mono + hour)
        await exchange(collector.port, token, [message, batch(*unsynced, synced)])
        after = time.time_ns()
        stored = {r.seq: r for r in collector.store.records()}
        assert {r.time_quality for r in stored.values()} == {"monotonic"}
        assert before <= stored[4].event_ns <= after
        for seq in (1, 2, 3):  # an hour (minus their minutes) before the sync
            assert stored[4].event_ns - stored[seq].event_ns == hour - seq * 60 * 10**9
            assert stored[seq].agent_wall_ns < 10**12  # what the kit said: 1970

    run(body, tmp_path)


def test_a_100_mb_message_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    async def body(collector: Collector, token: str) -> tuple[grpc.StatusCode, int]:
        huge = record(1)
        huge.signal.operator_name = "x" * (100 * 1024 * 1024)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await exchange(collector.port, token, [hello(), batch(huge)])
        return info.value.code(), len(list(collector.store.records()))

    assert run(body, tmp_path) == (grpc.StatusCode.RESOURCE_EXHAUSTED, 0)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 4 MiB tmpfs (needs root): lets a test fill the collector's disk."""
    import subprocess

    if os.geteuid() != 0:
        unavailable("needs root to mount a small tmpfs (a real full disk)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_refuses_the_batch_unacked_and_the_retry_stores_it(small_disk: Path) -> None:
    async def main() -> None:
        store = SqliteStore(small_disk / "collector.sqlite")
        credential = auth.new_credential("kit-1")
        store.add_agent("kit-1", SITE, auth.hash_secret(credential.secret))
        collector = Collector(store)
        await collector.start("127.0.0.1:0")
        filler = small_disk / "filler"
        try:
            with contextlib.suppress(OSError), filler.open("wb") as f:  # close() too
                while True:  # fill the disk to the last byte
                    f.write(b"\0" * 65536)
                    f.flush()
            big = [record(i) for i in range(1, 401)]
            for r in big:
                r.signal.operator_name = "x" * 2000
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await exchange(collector.port, credential.token(), [hello(), batch(*big)])
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "cannot store data right now" in (info.value.details() or "")
            assert list(store.records()) == []
            filler.unlink()  # space again: the kit's retry goes through
            replies = await exchange(collector.port, credential.token(), [hello(), batch(*big)])
            assert replies[0].welcome.acked_through_seq == 0  # nothing was acked before
            assert replies[1].ack.through_seq == 400 and replies[1].ack.stored == 400
        finally:
            await collector.stop(0)
            store.close()

    asyncio.run(main())
