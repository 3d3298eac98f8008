"""The reconnect back-off goes back to its base after a healthy stream (item 10 of
issue 13): a real gRPC server on a free loopback port plays a script of streams
(refused, healthy, welcomed-then-dropped) and the uplink's delays are recorded
(jitter pinned to its maximum, so every delay is exact)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from agent.spool import Spool
from agent.uplink import Backoff, Uplink, next_attempt
from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc

SITE = "3171011001005"
HEALTHY_AFTER_S = 0.3


class ScriptedTelemetry(telemetry_pb2_grpc.TelemetryServicer):
    """Stream n plays ``script[n]``: ``refuse`` (UNAVAILABLE before any Welcome),
    ``flap`` (Welcome, then dropped at once), ``healthy`` (Welcome, acks, dropped
    after twice ``HEALTHY_AFTER_S``) or ``denied`` (PERMISSION_DENIED)."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.streams = 0

    async def Stream(
        self,
        request_iterator: AsyncIterator[telemetry_pb2.AgentMessage],
        context: grpc.aio.ServicerContext[
            telemetry_pb2.AgentMessage, telemetry_pb2.CollectorMessage
        ],
    ) -> AsyncIterator[telemetry_pb2.CollectorMessage]:
        step = self.script[min(self.streams, len(self.script) - 1)]
        self.streams += 1
        hello = (await anext(aiter(request_iterator))).hello
        if step == "refuse":
            await context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")
        if step == "denied":
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "revoked")
        yield telemetry_pb2.CollectorMessage(
            welcome=telemetry_pb2.Welcome(
                agent_id=hello.agent_id, site_code=SITE, max_batches_in_flight=4
            )
        )
        if step == "healthy":
            await asyncio.sleep(2 * HEALTHY_AFTER_S)
        await context.abort(grpc.StatusCode.UNAVAILABLE, "collector stopped")


@pytest.mark.timeout(60)
def test_the_delay_goes_back_to_the_base_after_each_healthy_stream(tmp_path: Path) -> None:
    script = ["refuse", "refuse", "refuse", "healthy", "flap", "flap", "healthy", "healthy",
              "refuse", "denied", "healthy", "refuse"]  # fmt: skip
    base = 0.01
    # attempt n waits base * 2**n (jitter at its maximum): healthy -> 0, others +1,
    # a refusal only a person can fix -> at least 7.
    want = [2, 4, 8, 1, 2, 4, 1, 1, 2, 2**7, 1, 2]

    async def body() -> list[float]:
        service = ScriptedTelemetry(script)
        server = grpc.aio.server()
        telemetry_pb2_grpc.add_TelemetryServicer_to_server(service, server)  # type: ignore[no-untyped-call]
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        delays: list[float] = []
        done = asyncio.Event()

        async def sleep(delay_s: float) -> None:
            delays.append(delay_s)
            if len(delays) == len(script):
                done.set()
            await asyncio.sleep(0)

        spool = Spool(tmp_path / "spool.sqlite", max_bytes=1 << 20,
                      overflow_record=lambda *a: ("event", 3, b""))  # fmt: skip
        uplink = Uplink(
            spool, address=f"127.0.0.1:{port}", credential="kit-1.c2VjcmV0", agent_id="kit-1",
            site=SITE, backoff=Backoff(base, 60.0), poll_s=0.05,
            healthy_after_s=HEALTHY_AFTER_S, rng=lambda: 1.0, sleep=sleep,
        )  # fmt: skip
        task = asyncio.create_task(uplink.run())
        try:
            async with asyncio.timeout(30):
                await done.wait()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await server.stop(0)
            spool.close()
        assert service.streams == len(script)
        return delays

    delays = asyncio.run(body())
    assert delays == pytest.approx([base * n for n in want])


def test_next_attempt_resets_only_after_a_stream_that_stayed_up() -> None:
    def after(attempt: int, welcomed_for_s: float | None, needs_person: bool = False) -> int:
        return next_attempt(
            attempt, welcomed_for_s=welcomed_for_s, healthy_after_s=5.0, needs_person=needs_person
        )

    assert after(3, None) == 4  # never welcomed
    assert after(3, 0.2) == 4  # welcomed, dropped at once: a flapping collector
    assert after(3, 5.0) == 0  # a healthy stream
    assert after(0, 600.0, needs_person=True) == 7
    assert after(9, None, needs_person=True) == 10


def test_a_stream_failing_with_an_unexpected_error_does_not_end_the_uplink(tmp_path: Path) -> None:
    """Only gRPC errors were caught: anything else a dying call raised ended the uplink's
    task for good and the spool was never drained again."""
    spool = Spool(
        tmp_path / "spool.sqlite", max_bytes=1 << 20, reserve_bytes=0,
        overflow_record=lambda *a: ("event", 3, b""),
    )  # fmt: skip
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    uplink = Uplink(
        spool, address="127.0.0.1:1", credential="a.b", agent_id="a", site="3171011001005",
        sleep=sleep, rng=lambda: 0.5,
    )  # fmt: skip
    calls = 0

    async def session() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the call ended under us")
        raise asyncio.CancelledError  # the second attempt happened: stop here

    uplink._session = session  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(uplink.run())
    spool.close()
    assert calls == 2 and len(slept) == 1
    assert uplink.state.last_error == "RuntimeError: the call ended under us"


def test_a_faster_backlog_rate_ends_a_trickles_pause_at_once(tmp_path: Path) -> None:
    """At the trickle rate a batch of 1,000 records holds the next one for 100 s; the
    collector's full rate, sent once it has a drain slot for this kit, ends that pause
    (the new rate counts from the batch's sending)."""
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=1 << 20,
                  overflow_record=lambda *a: ("event", 3, b""))  # fmt: skip
    uplink = Uplink(
        spool, address="127.0.0.1:1", credential="a.b", agent_id="a", site="3171011001005",
        backlog_records_per_s=10,
    )  # fmt: skip

    def rate(records_per_s: int) -> telemetry_pb2.Command:
        return telemetry_pb2.Command(
            command_id="backlog-rate",
            set_backlog_rate=telemetry_pb2.SetBacklogRate(max_records_per_s=records_per_s),
        )

    async def main() -> None:
        pause = asyncio.create_task(uplink._pace(1_000))
        await asyncio.sleep(0.2)
        assert not pause.done()  # 100 s at 10 records a second
        uplink._on_command(rate(5))  # slower still: still waiting
        await asyncio.sleep(0.2)
        assert not pause.done()
        uplink._on_command(rate(1_000_000))  # the full rate: 1 ms, long past
        async with asyncio.timeout(5):
            await pause

    try:
        asyncio.run(main())
    finally:
        spool.close()
