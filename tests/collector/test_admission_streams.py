"""Admission control on a real collector (gRPC on a free loopback port, SQLite): a kit
over the handshake limit is answered UNAVAILABLE with ``retry-after-ms``, a queued kit
is welcomed when a slot frees, the agent's uplink comes back when it was told to and
loses nothing, and a kit with a backlog is told its drain rate.

Slots are taken by the test itself (``admission.handshakes.enter()`` on the
collector's event loop), so who is over the limit is certain, not a race."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from streamharness import SITE, batch, hello, metadata, record

from agent.spool import Spool
from agent.uplink import Backoff, Uplink
from collector import auth
from collector import ingest as ingest_module
from collector.config import IngestSection, default_config
from collector.server import Collector
from collector.store.model import Agent
from collector.store.sqlite import SqliteStore
from pantau.v1 import telemetry_pb2


@contextlib.asynccontextmanager
async def collector(tmp_path: Path, ingest: IngestSection) -> AsyncIterator[tuple[Collector, str]]:
    store = SqliteStore(tmp_path / "collector.sqlite")
    credential = auth.new_credential("kit-1")
    store.add_agent("kit-1", SITE, auth.hash_secret(credential.secret))
    running = Collector(store, config=replace(default_config(), ingest=ingest))
    await running.start("127.0.0.1:0")
    try:
        yield running, credential.token()
    finally:
        await running.stop(0)
        store.close()


async def open_and_hello(
    port: int, token: str, *messages: telemetry_pb2.AgentMessage
) -> tuple[grpc.aio.Channel, grpc.aio.StreamStreamCall]:  # type: ignore[type-arg]
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    call = channel.stream_stream(
        "/pantau.v1.Telemetry/Stream",
        request_serializer=telemetry_pb2.AgentMessage.SerializeToString,
        response_deserializer=telemetry_pb2.CollectorMessage.FromString,
    )(metadata=metadata(token))
    for message in (hello(), *messages):
        await call.write(message)
    return channel, call


FIXED_RETRY = IngestSection(
    handshakes=1, handshake_queue=0, retry_min_ms=700, retry_per_kit_ms=0, retry_max_ms=700
)


@pytest.mark.timeout(30)
def test_a_kit_over_the_handshake_limit_is_told_unavailable_and_when_to_retry(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with collector(tmp_path, FIXED_RETRY) as (running, token):
            gate = running.service.admission.handshakes
            await gate.enter()  # the only slot: taken
            channel, call = await open_and_hello(running.port, token)
            async with channel, asyncio.timeout(10):
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await call.read()
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "busy (handshakes): retry after 700 ms" in (refused.value.details() or "")
            assert ("retry-after-ms", "700") in tuple(refused.value.trailing_metadata() or ())
            assert running.service.stats.busy_refusals == 1
            gate.leave()  # free again: the next kit is welcomed
            channel, call = await open_and_hello(running.port, token)
            async with channel, asyncio.timeout(10):
                reply = await call.read()
                assert reply.WhichOneof("msg") == "welcome"
                call.cancel()

    asyncio.run(main())


@pytest.mark.timeout(30)
def test_a_queued_kit_is_welcomed_when_a_slot_frees_and_one_that_waits_too_long_is_refused(
    tmp_path: Path,
) -> None:
    ingest = replace(FIXED_RETRY, handshake_queue=1, handshake_wait_s=2.0)

    async def main() -> None:
        async with collector(tmp_path, ingest) as (running, token):
            gate = running.service.admission.handshakes
            await gate.enter()
            channel, call = await open_and_hello(running.port, token)
            async with channel, asyncio.timeout(10):
                while gate.gate.waiting == 0:  # bounded by the timeout above
                    await asyncio.sleep(0.01)
                gate.leave()  # the slot passes to the waiting kit
                reply = await call.read()
                assert reply.WhichOneof("msg") == "welcome"
                call.cancel()
            await gate.enter()
            channel, call = await open_and_hello(running.port, token)
            async with channel, asyncio.timeout(10):  # waits its 2 s, then is refused
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await call.read()
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert ("retry-after-ms", "700") in tuple(refused.value.trailing_metadata() or ())
            assert (gate.gate.active, gate.gate.waiting) == (1, 0)
            gate.leave()

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_the_uplink_comes_back_after_the_retry_after_and_delivers_everything(
    tmp_path: Path,
) -> None:
    async def main() -> tuple[list[float], list[int]]:
        async with collector(tmp_path, FIXED_RETRY) as (running, token):
            gate = running.service.admission.handshakes
            await gate.enter()
            delays: list[float] = []

            async def sleep(delay_s: float) -> None:
                delays.append(delay_s)
                if len(delays) == 1:
                    gate.leave()  # the storm is over

            spool = Spool(tmp_path / "spool.sqlite", max_bytes=1 << 20,
                          overflow_record=lambda *a: ("event", 3, b""))  # fmt: skip
            spool.append(("signal", 1, record(seq).SerializeToString()) for seq in range(1, 6))
            uplink = Uplink(
                spool, address=f"127.0.0.1:{running.port}", credential=token, agent_id="kit-1",
                site=SITE, backoff=Backoff(0.01, 0.05), poll_s=0.05, rng=lambda: 1.0,
                sleep=sleep, backlog_records_per_s=0,
            )  # fmt: skip
            task = asyncio.create_task(uplink.run())
            try:
                async with asyncio.timeout(30):
                    while uplink.state.last_ack_seq < 5:
                        await asyncio.sleep(0.05)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                spool.close()
            return delays, [r.seq for r in running.store.records(agent_id="kit-1")]

    delays, stored = asyncio.run(main())
    assert delays[0] == pytest.approx(0.7 * 1.2)  # retry-after, plus the kit's 20% at most
    assert stored == [1, 2, 3, 4, 5]


def _rates(replies: list[telemetry_pb2.CollectorMessage]) -> list[int]:
    return [
        r.command.set_backlog_rate.max_records_per_s
        for r in replies
        if r.command.HasField("set_backlog_rate")
    ]


@pytest.mark.timeout(60)
def test_a_backlog_drains_at_full_rate_only_with_a_drain_slot(tmp_path: Path) -> None:
    ingest = IngestSection(
        drains=1, drain_threshold_records=3, drain_records_per_s=400,
        drain_trickle_records_per_s=20, max_ack_delay_s=0.5,
    )  # fmt: skip

    async def stream(running: Collector, token: str, first: int) -> list[int]:
        """A kit with a 10-record backlog: its replies' rates, then the first batch's ack."""
        head = hello()
        head.hello.head_seq = first + 9
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
        call = channel.stream_stream(
            "/pantau.v1.Telemetry/Stream",
            request_serializer=telemetry_pb2.AgentMessage.SerializeToString,
            response_deserializer=telemetry_pb2.CollectorMessage.FromString,
        )(metadata=metadata(token))
        async with channel, asyncio.timeout(20):
            await call.write(head)
            await call.write(batch(*range(first, first + 10)))
            replies = []
            while not (reply := await call.read()).HasField("ack"):
                replies.append(reply)
            assert reply.ack.through_seq == first + 9
            call.cancel()
        return _rates(replies)

    async def main() -> None:
        async with collector(tmp_path, ingest) as (running, token):
            drains = running.service.admission.drains
            assert await stream(running, token, 1) == [400]  # a slot: full rate
            assert drains.gate.active == 0  # drained: the slot is given back
            await drains.enter()  # every slot taken
            assert await stream(running, token, 11) == [20]  # told to trickle
            drains.leave()

    asyncio.run(main())


@pytest.mark.timeout(30)
def test_a_stream_that_ends_right_after_its_drain_rate_gives_the_slot_back(
    tmp_path: Path,
) -> None:
    """A kit with a backlog that hangs up (or is cut) as soon as it is told its rate must
    not keep the drain slot: after enough such kits nobody would drain at full rate."""
    ingest = IngestSection(drains=1, drain_threshold_records=3, drain_records_per_s=400)

    async def main() -> None:
        async with collector(tmp_path, ingest) as (running, token):
            drains = running.service.admission.drains
            for _ in range(3):
                head = hello()
                head.hello.head_seq = 50
                channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
                call = channel.stream_stream(
                    "/pantau.v1.Telemetry/Stream",
                    request_serializer=telemetry_pb2.AgentMessage.SerializeToString,
                    response_deserializer=telemetry_pb2.CollectorMessage.FromString,
                )(metadata=metadata(token))
                async with channel, asyncio.timeout(10):
                    await call.write(head)
                    assert (await call.read()).WhichOneof("msg") == "welcome"
                    assert _rates([await call.read()]) == [400]  # it holds the one slot
                    call.cancel()  # gone at once
                async with asyncio.timeout(10):  # the collector notices the stream ended
                    while drains.gate.active:
                        await asyncio.sleep(0.01)

    asyncio.run(main())


@pytest.mark.timeout(30)
def test_a_stream_that_sends_no_hello_is_refused_and_holds_no_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kit that opens a stream and says nothing is refused (FAILED_PRECONDITION) after
    the Hello's bound; meanwhile it holds no handshake slot, and it is not demand.

    The one slot has a queue, so the two kits' credential lookups (milliseconds) may
    meet without a refusal; had the silent stream held the slot while it waited for its
    Hello, the other kit's Welcome would come only after the silent stream ended."""
    monkeypatch.setattr(ingest_module, "HELLO_WAIT_S", 1.0)
    queued = replace(FIXED_RETRY, handshake_queue=4, handshake_wait_s=5.0)

    async def main() -> None:
        async with collector(tmp_path, queued) as (running, token):
            gate = running.service.admission.handshakes.gate
            async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                call = channel.stream_stream(
                    "/pantau.v1.Telemetry/Stream",
                    request_serializer=telemetry_pb2.AgentMessage.SerializeToString,
                    response_deserializer=telemetry_pb2.CollectorMessage.FromString,
                )(metadata=metadata(token))
                async with asyncio.timeout(10):
                    good_channel, good = await open_and_hello(running.port, token)
                    async with good_channel:  # the one slot is free for another kit
                        assert (await good.read()).WhichOneof("msg") == "welcome"
                        assert not call.done()  # welcomed while the silent one still waits
                        good.cancel()
                    assert await call.code() == grpc.StatusCode.FAILED_PRECONDITION
                assert await call.details() == (
                    "no Hello within 1 s: the first message must be Hello"
                )
            assert (gate.active, gate.refused, running.service.stats.busy_refusals) == (0, 0, 0)

    asyncio.run(main())


@pytest.mark.timeout(30)
def test_a_refused_credential_does_not_hold_a_handshake_slot_while_its_hello_is_awaited(
    tmp_path: Path,
) -> None:
    """A kit refused at its credential check is answered only after its Hello came (or
    2 s of grace); the one handshake slot is free meanwhile."""

    async def main() -> None:
        async with collector(tmp_path, FIXED_RETRY) as (running, token):
            looked_up = asyncio.Event()
            loop = asyncio.get_running_loop()
            get_agents = running.store.get_agents

            def watched(agent_ids: Sequence[str]) -> dict[str, Agent]:
                try:
                    return get_agents(agent_ids)
                finally:
                    loop.call_soon_threadsafe(looked_up.set)

            running.store.get_agents = watched  # type: ignore[method-assign]
            gate = running.service.admission.handshakes.gate
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
            bad = channel.stream_stream(
                "/pantau.v1.Telemetry/Stream",
                request_serializer=telemetry_pb2.AgentMessage.SerializeToString,
                response_deserializer=telemetry_pb2.CollectorMessage.FromString,
            )(metadata=metadata("kit-1.wrongsecret"))  # sends nothing: 2 s of grace
            async with channel, asyncio.timeout(10):
                await looked_up.wait()
                while gate.active:  # the refusal leaves the slot at once
                    await asyncio.sleep(0.001)
                assert not bad.done()  # ... while the refused stream still waits
                good_channel, good = await open_and_hello(running.port, token)
                async with good_channel:
                    assert (await good.read()).WhichOneof("msg") == "welcome"
                    good.cancel()
                assert await bad.code() == grpc.StatusCode.UNAUTHENTICATED

    asyncio.run(main())


async def _kit_stream(
    port: int, token: str, head_seq: int, *, purpose: str | None = None
) -> tuple[grpc.aio.Channel, grpc.aio.StreamStreamCall]:  # type: ignore[type-arg]
    """A kit's stream (its own connection) whose Hello says it holds ``head_seq``."""
    head = hello()
    head.hello.head_seq = head_seq
    if purpose is not None:
        head.hello.host["purpose"] = purpose
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    call = channel.stream_stream(
        "/pantau.v1.Telemetry/Stream",
        request_serializer=telemetry_pb2.AgentMessage.SerializeToString,
        response_deserializer=telemetry_pb2.CollectorMessage.FromString,
    )(metadata=metadata(token))
    await call.write(head)
    return channel, call


@pytest.mark.timeout(60)
def test_a_kit_reconnecting_while_its_old_stream_is_half_open_gets_the_drain_slot_at_once(
    tmp_path: Path,
) -> None:
    """The kit's link dropped while it held the only drain slot: the collector still holds
    its old stream (an open connection on which nothing more comes, as a half-open one
    looks from here). The kit's new stream ends the old one and drains at full rate at
    once, instead of trickling until keepalive ends the old stream minutes later."""
    ingest = IngestSection(
        drains=1, drain_threshold_records=3, drain_records_per_s=400,
        drain_trickle_records_per_s=20,
    )  # fmt: skip

    async def main() -> None:
        async with collector(tmp_path, ingest) as (running, token):
            service = running.service
            drains = service.admission.drains
            old_channel, old = await _kit_stream(running.port, token, 50)
            new_channel: grpc.aio.Channel | None = None
            try:
                async with asyncio.timeout(10):
                    assert (await old.read()).WhichOneof("msg") == "welcome"
                    assert _rates([await old.read()]) == [400]  # it holds the one slot
                assert drains.gate.active == 1
                # The link drops: the old stream is silent from here on (not cancelled).
                new_channel, new = await _kit_stream(running.port, token, 50)
                async with asyncio.timeout(10):
                    assert (await new.read()).WhichOneof("msg") == "welcome"
                    assert _rates([await new.read()]) == [400]  # the slot, at once
                    with pytest.raises(grpc.aio.AioRpcError) as ended:
                        await old.read()
                assert ended.value.code() == grpc.StatusCode.ABORTED
                assert "superseded by a newer stream of this kit" in (ended.value.details() or "")
                assert drains.gate.active == 1  # the new stream's, not the old one's too
                assert len(service.open_streams) == 1
                assert list(service.stats.connected) == ["kit-1"]
                assert service.stats.superseded == 1
                async with asyncio.timeout(10):  # the new stream drains and acks
                    await new.write(batch(*range(1, 51)))
                    while not (reply := await new.read()).HasField("ack"):
                        pass
                assert reply.ack.through_seq == 50
                assert drains.gate.active == 0  # drained: given back
                new.cancel()
                async with asyncio.timeout(10):  # nothing left held once it ends
                    while len(service.open_streams) or service.stats.connected:
                        await asyncio.sleep(0.01)
            finally:
                await old_channel.close()
                if new_channel is not None:
                    await new_channel.close()

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_a_check_beside_the_running_kit_does_not_end_its_stream(tmp_path: Path) -> None:
    """``pantau check`` on a kit says Hello with the kit's own credential while the kit's
    uplink streams: the kit's stream goes on, and still counts as connected."""

    async def main() -> None:
        async with collector(tmp_path, IngestSection()) as (running, token):
            service = running.service
            kit_channel, kit = await _kit_stream(running.port, token, 0)
            async with kit_channel, asyncio.timeout(20):
                assert (await kit.read()).WhichOneof("msg") == "welcome"
                check_channel, check = await _kit_stream(running.port, token, 0, purpose="check")
                async with check_channel:
                    assert (await check.read()).WhichOneof("msg") == "welcome"
                    await check.done_writing()
                    assert await check.read() is grpc.aio.EOF
                    assert await check.code() == grpc.StatusCode.OK
                await kit.write(batch(1, 2))
                assert (await kit.read()).ack.through_seq == 2  # the kit's stream goes on
                assert service.stats.superseded == 0
                assert list(service.stats.connected) == ["kit-1"]
                kit.cancel()

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_a_paced_kit_is_told_the_full_rate_as_soon_as_a_drain_slot_frees(
    tmp_path: Path,
) -> None:
    """A kit told to trickle sends its next batch of up to 1,000 records only after
    1,000 / rate seconds: a slot that frees meanwhile must reach it at once (it waits in
    line), not when that batch comes."""
    ingest = IngestSection(
        drains=1, drain_threshold_records=3, drain_records_per_s=400,
        drain_trickle_records_per_s=20,
    )  # fmt: skip

    async def main() -> None:
        async with collector(tmp_path, ingest) as (running, token):
            drains = running.service.admission.drains
            await drains.enter()  # the only slot: another kit's
            first_channel, first = await _kit_stream(running.port, token, 50)
            async with first_channel, asyncio.timeout(10):
                assert (await first.read()).WhichOneof("msg") == "welcome"
                assert _rates([await first.read()]) == [20]  # in line
                assert drains.gate.waiting == 1
                drains.leave()  # the other kit drained: the slot passes to this one
                assert _rates([await first.read()]) == [400]  # without sending anything
                assert (drains.gate.active, drains.gate.waiting) == (1, 0)
                first.cancel()
            async with asyncio.timeout(10):  # gone: the slot is free again
                while drains.gate.active:
                    await asyncio.sleep(0.01)
            await drains.enter()
            second_channel, second = await _kit_stream(running.port, token, 50)
            async with second_channel, asyncio.timeout(10):
                assert (await second.read()).WhichOneof("msg") == "welcome"
                assert _rates([await second.read()]) == [20]
                second.cancel()  # it leaves the line
            async with asyncio.timeout(10):
                while drains.gate.waiting:
                    await asyncio.sleep(0.01)
            drains.leave()
            assert (drains.gate.active, drains.gate.waiting) == (0, 0)

    asyncio.run(main())
