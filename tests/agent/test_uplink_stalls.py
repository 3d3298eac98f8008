"""The uplink against a collector whose connection lives but whose service stalls:
keepalive cannot see that, so the uplink's own deadlines must (a real gRPC server on a
free loopback port, serving a deliberately stalling Telemetry service)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from agent import clock
from agent.records import make_record
from agent.spool import Spool
from agent.uplink import Backoff, Uplink
from pantau.v1 import records_pb2, telemetry_pb2, telemetry_pb2_grpc

SITE = "3171011001005"


class StallingTelemetry(telemetry_pb2_grpc.TelemetryServicer):
    """``silent``: reads the Hello, never answers. ``no-ack``: welcomes, never acks.
    After ``stall_streams`` streams it behaves: welcomes and acks every batch."""

    def __init__(self, mode: str, stall_streams: int) -> None:
        self.mode = mode
        self.stall_streams = stall_streams
        self.streams = 0
        self.batches_seen = 0

    async def Stream(
        self,
        request_iterator: AsyncIterator[telemetry_pb2.AgentMessage],
        context: grpc.aio.ServicerContext[
            telemetry_pb2.AgentMessage, telemetry_pb2.CollectorMessage
        ],
    ) -> AsyncIterator[telemetry_pb2.CollectorMessage]:
        self.streams += 1
        stalling = self.streams <= self.stall_streams
        hello = (await anext(aiter(request_iterator))).hello
        if stalling and self.mode == "silent":
            await asyncio.sleep(3600)
        yield telemetry_pb2.CollectorMessage(
            welcome=telemetry_pb2.Welcome(
                agent_id=hello.agent_id, site_code=SITE, max_batches_in_flight=4
            )
        )
        async for message in request_iterator:
            if message.WhichOneof("msg") != "batch":
                continue
            self.batches_seen += 1
            if not stalling:
                through = max(r.seq for r in message.batch.records)
                yield telemetry_pb2.CollectorMessage(ack=telemetry_pb2.Ack(through_seq=through))


@pytest.mark.parametrize("mode", ["silent", "no-ack"])
@pytest.mark.timeout(60)
def test_a_stalled_stream_is_dropped_and_the_next_one_delivers(
    tmp_path: Path, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        service = StallingTelemetry(mode, stall_streams=2)
        server = grpc.aio.server()
        telemetry_pb2_grpc.add_TelemetryServicer_to_server(service, server)  # type: ignore[no-untyped-call]
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        spool = Spool(tmp_path / "spool.sqlite", max_bytes=1 << 20,
                      overflow_record=lambda *a: ("event", 3, b""))  # fmt: skip
        body_msg = records_pb2.SignalReading(rsrp_dbm=-85.0)
        spool.append([("signal", 2, make_record(clock.now(), body_msg).SerializeToString())] * 30)
        uplink = Uplink(
            spool, address=f"127.0.0.1:{port}", credential="kit-1.c2VjcmV0", agent_id="kit-1",
            site=SITE, backoff=Backoff(0.05, 0.1), poll_s=0.05,
            welcome_timeout_s=0.5, ack_timeout_s=0.5,
        )  # fmt: skip
        task = asyncio.create_task(uplink.run())
        try:
            async with asyncio.timeout(30):
                while spool.backlog().records:
                    await asyncio.sleep(0.02)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await server.stop(0)
        assert service.streams == 3  # two stalled streams dropped, the third delivered
        assert uplink.state.last_ack_seq == 30
        want = "no Welcome within 0.5 s" if mode == "silent" else "no ack within 0.5 s"
        lost = [r.getMessage() for r in caplog.records if "lost" in r.getMessage()]
        assert len(lost) == 2, lost
        assert all(f"DEADLINE_EXCEEDED: {want}" in line for line in lost), lost
        if mode == "no-ack":
            assert service.batches_seen > 2  # batches went out on the stalled streams too
        spool.close()

    with caplog.at_level(logging.WARNING, logger="agent.uplink"):
        asyncio.run(body())


@pytest.mark.parametrize("error", ["cancelled-call", "call-ended-under-us"])
def test_a_stop_that_grpc_reports_as_the_calls_error_still_stops_the_uplink(
    tmp_path: Path, error: str
) -> None:
    """SIGTERM cancels the uplink's task while gRPC awaits inside a call; gRPC may report
    that as the call's error instead of CancelledError. The uplink must end, not take it
    for a lost stream and reconnect (the service's shutdown would wait for it forever)."""

    async def main() -> str:
        spool = Spool(tmp_path / "spool.sqlite", max_bytes=1 << 20,
                      overflow_record=lambda *a: ("event", 3, b""))  # fmt: skip
        uplink = Uplink(
            spool, address="127.0.0.1:9", credential="kit-1.c2VjcmV0", agent_id="kit-1",
            site=SITE, backoff=Backoff(0.05, 0.1), poll_s=0.05,
        )  # fmt: skip
        in_call = asyncio.Event()
        sessions = 0

        async def session() -> None:
            nonlocal sessions
            sessions += 1
            in_call.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if error == "cancelled-call":
                    raise grpc.aio.AioRpcError(
                        grpc.StatusCode.CANCELLED, grpc.aio.Metadata(), grpc.aio.Metadata()
                    ) from None
                raise RuntimeError("the call ended under us") from None

        uplink._session = session  # type: ignore[method-assign]
        task = asyncio.create_task(uplink.run())
        try:
            await asyncio.wait_for(in_call.wait(), 5)
            task.cancel()
            try:
                await asyncio.wait_for(task, 5)
            except asyncio.CancelledError:
                return f"stopped after {sessions} session(s)"
            return "returned"
        finally:
            task.cancel()
            spool.close()

    assert asyncio.run(main()) == "stopped after 1 session(s)"
