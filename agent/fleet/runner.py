"""Thousands of simulated kits on one event loop, each on its own v1 stream.

Each kit is one task: it joins at its planned time, measures what is due
(:meth:`agent.fleet.kit.SimKit.produce`), and while its link is up keeps one stream
open on a channel of its own (the real kit's :func:`agent.channel.open_channel`:
keepalive, gzip, TLS pinned to the CA or loopback plaintext), says Hello with the
real uplink's :func:`agent.uplink.build_hello`, trims its spool to the Welcome's
``acked_through`` and sends a batch every ``batch_every_s``, one batch in flight,
draining a backlog batch after batch. When the scenario takes its link (a tower
outage, an offline spell) it closes the channel and keeps measuring; when the link
is back it reconnects and resends everything not acked. A failed stream is retried
after the uplink's back-off (:class:`agent.uplink.Backoff`) in simulated time.

Simulated time runs ``speed`` times faster than real time and only decides what is
due (the cadence, the phases, the spells); the kits' clocks stay real, so the
collector's clock anchors, event-time correction and ``future`` check see what they
would see from real kits. At ``speed`` 60 a simulated minute is a real second, so
the collector's rules need durations scaled alike (the demo's rules fit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from agent import clock
from agent.channel import open_channel
from agent.errors import AgentError
from agent.fleet.kit import SimKit, Spooled
from agent.fleet.report import Stats, progress_line, summary
from agent.fleet.scenario import Cadence, Conditions, Plan
from agent.fleet.wire import RawCall, encode_batch, encode_snapshot, open_stream
from agent.uplink import Backoff, build_hello, delay_after, retry_after_s
from pantau.core.aio import within
from pantau.v1 import telemetry_pb2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FleetOptions:
    #: The collector, or several replicas: kit ``i`` streams to ``addresses[i % len]``.
    addresses: tuple[str, ...]
    ca_file: str = ""
    insecure: bool = False
    speed: float = 1.0
    duration_s: float = 60.0
    progress_s: float = 5.0
    #: After the end, how long kits with a link may take to deliver what they hold.
    drain_s: float = 30.0
    max_batch_records: int = 500
    #: Kits sharing one TCP connection (1: each its own, as in the field).
    kits_per_connection: int = 1
    welcome_timeout_s: float = 30.0
    ack_timeout_s: float = 60.0


class _StreamLost(AgentError):
    """A stream ended or stalled: reconnect (after ``retry_after_s`` when the collector
    said so)."""

    def __init__(self, message: str = "", retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Fleet:
    def __init__(
        self,
        plan: Plan,
        kits: list[SimKit],
        options: FleetOptions,
        *,
        out: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    ) -> None:
        self.plan = plan
        self.kits = kits
        self.options = options
        self.stats = Stats()
        self.stop = asyncio.Event()
        self.stopped_by = "duration"
        self._out = out
        self._backoff = Backoff()
        #: Kits pausing now: each a future that the end of its pause or the stop sets.
        self._sleepers: set[asyncio.Future[None]] = set()
        self._t0 = 0.0
        self._sim0 = 0.0
        self.sim_stop = 0.0

    # -- time ----------------------------------------------------------------------------------

    def sim_now(self) -> float:
        return self._sim0 + (time.monotonic() - self._t0) * self.options.speed

    def request_stop(self, why: str) -> None:
        if not self.stop.is_set():
            self.stopped_by = why
            self.sim_stop = self.sim_now()
            self.stop.set()
            for woken in self._sleepers:
                if not woken.done():
                    woken.set_result(None)

    async def _pause(self, real_s: float) -> None:
        """Sleep ``real_s``, or until the fleet stops. Constant cost whatever the number
        of kits pausing at once (each its own future and timer: waiting on the shared
        ``stop`` event would cost each wake-up a walk through every waiter)."""
        if self.stop.is_set():
            return
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(max(0.0, real_s), _wake, woken)
        self._sleepers.add(woken)
        try:
            await woken
        finally:
            timer.cancel()
            self._sleepers.discard(woken)

    # -- the run -------------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        from agent.fleet.scenario import parse_time

        self._sim0 = float(parse_time(self.plan.scenario.day.start))
        self._t0 = time.monotonic()
        progress = asyncio.create_task(self._progress())
        timer = asyncio.get_running_loop().call_later(
            self.options.duration_s, self.request_stop, "duration"
        )
        tasks = [asyncio.create_task(self._kit(kit)) for kit in self.kits]
        await self.stop.wait()
        sim_end = self.sim_stop
        timer.cancel()
        done, pending = await asyncio.wait(tasks, timeout=self.options.drain_s + 5)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                log.error("a kit's task failed", exc_info=task.exception())
        progress.cancel()
        await asyncio.gather(progress, return_exceptions=True)
        elapsed = time.monotonic() - self._t0
        self._out(self._line(elapsed, sim_end))
        return summary(self.stats, self.kits, self.plan, speed=self.options.speed,
                       elapsed_s=elapsed, sim_start_s=self._sim0, sim_end_s=sim_end,
                       stopped_by=self.stopped_by)  # fmt: skip

    async def _progress(self) -> None:
        while True:
            await asyncio.sleep(self.options.progress_s)
            self._out(self._line(time.monotonic() - self._t0, self.sim_now()))

    def _line(self, elapsed_s: float, sim_s: float) -> str:
        return progress_line(
            self.stats, elapsed_s=elapsed_s, sim_s=sim_s, plan=self.plan, kits=len(self.kits)
        )

    # -- one kit -------------------------------------------------------------------------------

    async def _kit(self, kit: SimKit) -> None:
        speed = self.options.speed
        wait = (kit.plan.join_s - self.sim_now()) / speed
        if wait > 0:
            await self._pause(wait)
        if self.stop.is_set():
            return
        self.stats.joined += 1
        stream: _Stream | None = None
        attempt = 0
        retry_at = 0.0  # real monotonic
        try:
            while not self.stop.is_set():
                sim, world, cadence = self._measure(kit)
                if not world.link_up:
                    if stream is not None:
                        self.stats.link_drops += 1
                        await self._close(kit, stream)
                        stream = None
                elif stream is None and time.monotonic() >= retry_at:
                    try:
                        stream = await self._connect(kit)
                        attempt = 0
                    except _StreamLost as lost:
                        attempt += 1
                        retry_at = time.monotonic() + self._retry_s(kit, attempt, lost)
                if stream is not None and sim >= kit.next_batch_s:
                    kit.next_batch_s = sim + cadence.batch_every_s
                    try:
                        await self._drain(kit, stream, cadence.batch_every_s)
                    except _StreamLost as lost:
                        await self._close(kit, stream)
                        stream = None
                        attempt += 1
                        retry_at = time.monotonic() + self._retry_s(kit, attempt, lost)
                await self._pause(self._asleep_s(kit, stream is not None, world, retry_at))
        except asyncio.CancelledError:
            if stream is not None:
                stream.call.cancel()
            raise
        await self._last_drain(kit, stream)

    def _asleep_s(self, kit: SimKit, streaming: bool, world: Conditions, retry_at: float) -> float:
        """Real seconds until something is due: a measurement, a batch (only on a
        stream: a batch overdue while the kit waits to reconnect goes with the
        reconnect), a change of the kit's world (a spell, a phase) or its reconnect."""
        now = self.sim_now()
        target = min(kit.next_measurement(), self.plan.next_change(kit.plan.index, now))
        if streaming:
            target = min(target, kit.next_batch_s)
        pause = (target - now) / self.options.speed
        if not streaming and world.link_up:
            pause = min(pause, retry_at - time.monotonic())
        return pause

    def _retry_s(self, kit: SimKit, attempt: int, lost: _StreamLost) -> float:
        """Real seconds before the next attempt: the collector's retry-after (real time)
        with the kit's jitter, else the back-off (simulated time)."""
        backoff_s = self._backoff.delay(attempt, kit.rng.random) / self.options.speed
        return delay_after(lost.retry_after_s, backoff_s, kit.rng.random)

    def _measure(self, kit: SimKit) -> tuple[float, Conditions, Cadence]:
        """Whatever is due now goes into the kit's spool (also between the batches of a
        long drain: a kit keeps measuring while it sends)."""
        sim = self.sim_now()
        world = self.plan.conditions(kit.plan.index, sim)
        cadence = self.plan.cadence(sim)
        if not self.stop.is_set():
            stamp = kit.stamp(time.time_ns(), clock.monotonic_ns())
            self.stats.produced += kit.produce(sim, cadence, world, stamp, time.monotonic())
        return sim, world, cadence

    async def _last_drain(self, kit: SimKit, stream: _Stream | None) -> None:
        """At the end: a kit with a link delivers what it holds, within ``drain_s``."""
        if not self.plan.conditions(kit.plan.index, self.sim_stop).link_up:
            if stream is not None:
                await self._close(kit, stream)
            return
        deadline = time.monotonic() + self.options.drain_s
        while time.monotonic() < deadline and kit.acked_through < kit.next_seq - 1:
            try:
                if stream is None:
                    stream = await self._connect(kit)
                await self._drain(kit, stream)
            except _StreamLost as lost:
                if stream is not None:
                    await self._close(kit, stream)
                    stream = None
                pause = delay_after(lost.retry_after_s, 1.0, kit.rng.random)
                await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        if stream is not None:
            await self._close(kit, stream)

    async def _connect(self, kit: SimKit) -> _Stream:
        self.stats.connects += 1
        o = self.options
        channel = open_channel(
            o.addresses[kit.plan.index % len(o.addresses)], ca_file=o.ca_file, insecure=o.insecure,
            connection=kit.plan.index // o.kits_per_connection,
        )  # fmt: skip
        call = open_stream(channel, kit.credential)
        stream = _Stream(channel, call)
        stamp = kit.stamp(time.time_ns(), clock.monotonic_ns())
        hello = build_hello(kit.agent_id, kit.site, stamp, head_seq=kit.next_seq - 1)
        try:
            async with asyncio.timeout(o.welcome_timeout_s):
                await call.write(telemetry_pb2.AgentMessage(hello=hello).SerializeToString())
                reply = await call.read()
            if not isinstance(reply, telemetry_pb2.CollectorMessage) or not reply.HasField(
                "welcome"
            ):
                raise _StreamLost(await self._status(call))
        except (grpc.aio.AioRpcError, TimeoutError, asyncio.InvalidStateError, _StreamLost) as exc:
            retry = self._lost(exc)
            await self._close(kit, stream)
            raise _StreamLost(retry_after_s=retry) from None
        self._acked(kit.resume(reply.welcome.acked_through_seq))
        self.stats.connected += 1
        stream.welcomed = True
        return stream

    async def _drain(self, kit: SimKit, stream: _Stream, batch_every_s: float = 60.0) -> None:
        """Send batches until nothing is left unsent, one in flight, each acked."""
        o = self.options
        try:
            oldest = kit.oldest_unsent()
            age_s = 0.0 if oldest is None else (time.monotonic() - oldest.produced) * o.speed
            if age_s > 2 * batch_every_s:  # a backlog: show the latest state first
                latest = kit.latest()
                if latest:
                    await stream.call.write(encode_snapshot([(r.seq, r.body) for r in latest]))
                    self.stats.snapshots += 1
            while True:
                run = kit.take(o.max_batch_records)
                if not run:
                    return
                started = time.perf_counter()
                await stream.call.write(encode_batch([r.body for r in run], run[0].seq))
                async with asyncio.timeout(o.ack_timeout_s):
                    while True:
                        reply = await stream.read()
                        if not isinstance(reply, telemetry_pb2.CollectorMessage):
                            raise _StreamLost(await self._status(stream.call))
                        if reply.HasField("ack"):
                            break
                        if reply.command.HasField("set_backlog_rate"):
                            rate = reply.command.set_backlog_rate.max_records_per_s
                            kit.backlog_records_per_s = float(rate)
                self.stats.batches += 1
                self.stats.ack_ms.append((time.perf_counter() - started) * 1000)
                self._acked(kit.ack(reply.ack.through_seq))
                if reply.ack.through_seq < run[-1].seq:
                    raise _StreamLost("ack short of the batch")
                if kit.unsent() > 0:  # draining: bounded by the backlog rate
                    await self._pace(kit, stream, len(run))
                self._measure(kit)
        except (grpc.aio.AioRpcError, TimeoutError, asyncio.InvalidStateError, _StreamLost) as exc:
            raise _StreamLost(retry_after_s=self._lost(exc)) from None

    async def _pace(self, kit: SimKit, stream: _Stream, records: int) -> None:
        """Hold the next batch until ``records`` have had their time at the backlog rate,
        reading meanwhile: a rate the collector sets (the full rate once it hands this
        kit a drain slot) counts from now on, as the agent's uplink does."""
        sent = time.monotonic()
        while (rate := kit.backlog_records_per_s) > 0:
            left = sent + records / rate - time.monotonic()
            if left <= 0:
                return
            if stream.reading is None:
                stream.reading = asyncio.ensure_future(stream.call.read())
            done, _ = await asyncio.wait({stream.reading}, timeout=left)
            if not done:
                return  # its time is up; the read goes on into the next batch's
            reply = await stream.read()
            if not isinstance(reply, telemetry_pb2.CollectorMessage):
                raise _StreamLost(await self._status(stream.call))
            if reply.command.HasField("set_backlog_rate"):
                kit.backlog_records_per_s = float(reply.command.set_backlog_rate.max_records_per_s)

    def _acked(self, dropped: list[Spooled]) -> None:
        now = time.monotonic()
        self.stats.acked_records([now - r.produced for r in dropped])

    def _lost(self, exc: BaseException) -> float | None:
        """Count a lost stream; the collector's retry-after (seconds) if it gave one."""
        self.stats.reconnects += 1
        retry = None
        if isinstance(exc, grpc.aio.AioRpcError):
            self.stats.refused[exc.code().name] += 1
            if len(self.stats.examples) < 5:
                self.stats.examples.append(f"{exc.code().name}: {exc.details()}")
            retry = retry_after_s(exc.trailing_metadata() or ())
            if retry is not None:
                self.stats.retry_after_ms.append(retry * 1000)
        elif isinstance(exc, TimeoutError):
            self.stats.refused["TIMEOUT"] += 1
        elif isinstance(exc, asyncio.InvalidStateError):  # written to a call that ended
            self.stats.refused["LOST"] += 1
        else:
            self.stats.refused[str(exc) or "LOST"] += 1
        return retry

    async def _status(self, call: RawCall) -> str:
        with contextlib.suppress(Exception):
            code = await within(call.code(), 5)
            return str(code.name)
        return "LOST"

    async def _close(self, kit: SimKit, stream: _Stream) -> None:
        if stream.welcomed:
            self.stats.connected -= 1
        stream.call.cancel()
        if stream.reading is not None:  # a read under way ends with the call
            stream.reading.add_done_callback(_retrieved)
        kit.sent_through = kit.acked_through  # not acked: sent again on the next stream
        with contextlib.suppress(Exception):
            await stream.channel.close()


@dataclass
class _Stream:
    channel: grpc.aio.Channel
    call: RawCall
    welcomed: bool = False
    #: A read begun while pacing a backlog, not answered yet (the next read takes it).
    reading: asyncio.Future[Any] | None = None

    async def read(self) -> Any:
        """The call's next reply (the one a pause began to read, if any)."""
        reading, self.reading = self.reading, None
        return await (reading if reading is not None else self.call.read())


def _retrieved(read: asyncio.Future[Any]) -> None:
    if not read.cancelled():
        read.exception()


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)
