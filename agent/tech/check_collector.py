"""``pantau-agent check``'s collector step: one Telemetry stream with the kit's
credential, Hello -> Welcome (the uplink's own Hello, :func:`agent.uplink.build_hello`),
then nothing more. A Welcome proves the collector reachable and the kit enrolled, and
gives the clock offset NTP-style; a refusal says why."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from agent.tech.report import CollectorSection, Welcome

if TYPE_CHECKING:
    from agent.tech.check import CheckOptions


async def hello(options: CheckOptions) -> CollectorSection:
    """Hello -> Welcome with the kit's credential: the report's ``collector`` section."""
    address = options.collector or None
    if not options.collector:
        return CollectorSection(address)
    if options.credential is None:
        if options.enrollment_known:
            return CollectorSection(
                address, status="no-credential", error=options.credential_problem
            )
        return CollectorSection(address, status="reachability-only")
    if options.ca_file:
        from pathlib import Path

        from agent.kitfiles import file_problem

        problem = file_problem(Path(options.ca_file), pem=True)
        if problem is not None:  # the file, not the address: say so before connecting
            return CollectorSection(address, "ca-file", error=problem, ca_file=options.ca_file)
    import grpc

    from agent.channel import ChannelError

    deadline = time.monotonic() + options.collector_timeout_s
    attempt = 0
    while True:
        attempt += 1
        try:
            stamp, welcome, t4 = await _exchange(options, deadline)
            break
        except ChannelError as exc:
            return CollectorSection(address, "unreachable", reachable=False, error=str(exc))
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            # A connection that failed at once may be a blip (UNAVAILABLE), and a refusal
            # racing the Hello can surface as a bare INTERNAL (grpc.aio overwrites the
            # server's status when a write fails after it, grpc/grpc#36066): try again
            # while time is left.
            if (
                code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL)
                and attempt < 3
                and time.monotonic() + 1.0 < deadline
            ):
                await asyncio.sleep(0.5)
                continue
            error = f"{code.name}: {exc.details()}"
            if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                return CollectorSection(
                    address, "rejected", reachable=True, enrolled=False, error=error
                )
            return CollectorSection(address, "unreachable", reachable=False, error=error)
    t1 = stamp.wall_unix_ns
    t2, t3 = welcome.hello_received_unix_ns, welcome.welcome_sent_unix_ns
    return CollectorSection(
        address,
        "ok",
        reachable=True,
        enrolled=True,
        welcome=Welcome(
            agent_id=welcome.agent_id,
            site=welcome.site_code,
            acked_through_seq=welcome.acked_through_seq,
            collector_version=welcome.collector_version,
            rtt_ms=max(0.0, ((t4 - t1) - (t3 - t2)) / 1e6),
            clock_offset_ms=(((t2 - t1) + (t3 - t4)) / 2) / 1e6,
        ),
    )


async def _exchange(options: CheckOptions, deadline: float) -> tuple[Any, Any, int]:
    """One Hello -> Welcome; returns (the Hello's stamp, the Welcome, its arrival ns)."""
    import grpc

    from agent import clock
    from agent.channel import open_channel
    from agent.uplink import build_hello
    from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc

    channel = open_channel(options.collector, ca_file=options.ca_file, insecure=options.insecure)
    stamp = clock.now()
    msg = build_hello(options.agent_id, options.site, stamp, purpose="check")

    async def requests() -> AsyncIterator[Any]:
        # Hello, then half-close: the collector answers Welcome and ends the stream when
        # it sees no more messages. (A collector that refuses the credential ends the
        # call before reading anything; with the request side already closed the
        # status reliably says why.)
        yield telemetry_pb2.AgentMessage(hello=msg)

    async with channel:
        stub = telemetry_pb2_grpc.TelemetryStub(channel)  # type: ignore[no-untyped-call]
        call = stub.Stream(
            requests(),
            metadata=(("authorization", f"Bearer {options.credential}"),),
            timeout=max(0.5, deadline - time.monotonic()),
        )
        reply = await call.read()
        t4 = time.time_ns()
        if reply is grpc.aio.EOF or reply.WhichOneof("msg") != "welcome":
            code = await call.code()
            details = await call.details()
            raise grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)
        call.cancel()
    return stamp, reply.welcome, t4
