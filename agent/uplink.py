"""The uplink: streams the spool to the collector over one bidi gRPC stream.

At-least-once delivery: the agent deletes from its spool only what the collector
acked. After every (re)connection, Welcome says how far the collector has
stored; the spool is trimmed to that and sending resumes from the next seq.
Reconnection uses capped exponential back-off with full jitter; the attempt count
goes back to zero after a healthy stream (welcomed, and up for ``healthy_after_s``),
see :func:`next_attempt`. Keepalive pings (agent.channel) notice a collector that
stopped answering (a hung process, a dead path) within about 20 s, and messages
are gzip-compressed for metered SIMs.

A spool that cannot delete what was acked (its disk is full) does not end the
stream: the rows stay until a later ack or the next Welcome deletes them, they are
not sent again, and ``state.spool_error`` says why.

Keepalive proves only that the connection lives, not that the collector's service
answers: a stream whose Welcome does not come within ``welcome_timeout_s``, or whose
batches in flight see no ack for ``ack_timeout_s``, is dropped and a new one opened
(DEADLINE_EXCEEDED in ``state.last_error``), so a stalled stream never holds the
spool back for longer than that.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import grpc

from agent import clock
from agent.channel import open_channel
from agent.spool import Spool, SpoolError
from pantau.core.aio import wait_event
from pantau.core.backhaul import CELLULAR, enum_name
from pantau.v1 import records_pb2, telemetry_pb2, telemetry_pb2_grpc

log = logging.getLogger(__name__)
VERSION = "0.1.0"
_Call = grpc.aio.StreamStreamCall[telemetry_pb2.AgentMessage, telemetry_pb2.CollectorMessage]

#: Codes that no amount of retrying fixes without a person: retry slowly.
_NEEDS_PERSON = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


def build_hello(
    agent_id: str,
    site: str,
    stamp: clock.Stamp,
    *,
    version: str = VERSION,
    head_seq: int = 0,
    modem: telemetry_pb2.ModemIdentity | None = None,
    purpose: str | None = None,
    backhaul: str = CELLULAR,
    modems: Sequence[telemetry_pb2.KitModem] = (),
) -> telemetry_pb2.Hello:
    """The Hello that opens a stream, sent at ``stamp``: the uplink's, and ``check``'s
    (which says ``purpose="check"`` in ``host`` so the collector does not count it as
    the kit's stream)."""
    hello = telemetry_pb2.Hello(
        agent_id=agent_id,
        claimed_site=site,
        software_version=version,
        sent_at=records_pb2.RecordTime(
            wall_unix_ns=stamp.wall_unix_ns,
            monotonic_ns=stamp.monotonic_ns,
            boot_id=stamp.boot_id,
            clock_synced=stamp.clock_synced,
        ),
        head_seq=head_seq,
        backhaul=enum_name(backhaul),  # the name of a Backhaul value
    )
    if modem is not None:
        hello.modem.CopyFrom(modem)
    hello.modems.extend(modems)
    if purpose is not None:
        hello.host["purpose"] = purpose
    return hello


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential back-off with full jitter (AWS architecture blog style)."""

    base_s: float = 1.0
    cap_s: float = 60.0

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        return float(rng() * min(self.cap_s, self.base_s * 2 ** min(attempt, 30)))


#: After a refusal only a person can fix, reconnect no sooner than this attempt's delay.
NEEDS_PERSON_ATTEMPT = 6

#: A busy collector says when to come back in this trailing metadata (milliseconds).
RETRY_AFTER_KEY = "retry-after-ms"
#: A longer retry-after is taken as this (a misconfigured or hostile value must not
#: silence a kit for hours).
MAX_RETRY_AFTER_S = 600.0
#: On top of the collector's retry-after, up to this share more, drawn by the kit.
RETRY_AFTER_JITTER = 0.2


def retry_after_s(metadata: Iterable[tuple[str, str | bytes]]) -> float | None:
    """The collector's ``retry-after-ms`` in seconds (None: not given, or not a
    non-negative whole number), at most :data:`MAX_RETRY_AFTER_S` (a larger value is
    clamped and logged)."""
    for key, value in metadata:
        if key != RETRY_AFTER_KEY:
            continue
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        if not text.isdigit() or len(text) > 18:
            log.warning("ignored retry-after-ms %.40r from the collector: not a number", text)
            return None
        seconds = int(text) / 1000
        if seconds > MAX_RETRY_AFTER_S:
            log.warning("the collector asked to retry after %.0f s; retrying after %.0f s",
                        seconds, MAX_RETRY_AFTER_S)  # fmt: skip
            return MAX_RETRY_AFTER_S
        return seconds
    return None


def delay_after(
    retry_after: float | None, backoff_s: float, rng: Callable[[], float] = random.random
) -> float:
    """The pause before the next attempt: the collector's retry-after plus the kit's own
    jitter (up to :data:`RETRY_AFTER_JITTER` more) when it gave one, else the back-off's."""
    if retry_after is None:
        return backoff_s
    return retry_after * (1 + RETRY_AFTER_JITTER * rng())


def next_attempt(
    attempt: int, *, welcomed_for_s: float | None, healthy_after_s: float, needs_person: bool
) -> int:
    """The back-off attempt after a stream ended: 0 after a healthy stream (welcomed and
    up for at least ``healthy_after_s``), one more after any other, and at least
    :data:`NEEDS_PERSON_ATTEMPT` + 1 after a refusal (bad credential, revoked)."""
    if needs_person:
        return max(attempt, NEEDS_PERSON_ATTEMPT) + 1
    if welcomed_for_s is not None and welcomed_for_s >= healthy_after_s:
        return 0
    return attempt + 1


@dataclass(slots=True)
class UplinkState:
    connected: bool = False
    last_ack_seq: int = 0
    last_ack_monotonic: float | None = None
    last_error: str | None = None
    connects: int = 0
    clock_offset_ns: int | None = None
    #: Why the spool could not delete what was acked (a full disk), until it can.
    spool_error: str | None = None
    #: The SMS lifeline key from the last Welcome (empty: the collector has none).
    sms_key: bytes = b""


class Uplink:
    def __init__(
        self,
        spool: Spool,
        *,
        address: str,
        credential: str,
        agent_id: str,
        ca_file: str = "",
        insecure: bool = False,
        site: str,
        modem: Callable[[], telemetry_pb2.ModemIdentity | None] = lambda: None,
        backhaul: str = CELLULAR,
        modems: Callable[[], Sequence[telemetry_pb2.KitModem]] = lambda: (),
        software_version: str = VERSION,
        backoff: Backoff | None = None,
        poll_s: float = 1.0,
        backlog_records_per_s: float = 500.0,
        welcome_timeout_s: float = 30.0,
        ack_timeout_s: float = 60.0,
        healthy_after_s: float = 5.0,
        rng: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._spool = spool
        self._address = address
        self._credential = credential
        self._ca_file = ca_file
        self._insecure = insecure
        self._agent_id = agent_id
        self._site = site
        self._modem = modem
        self._backhaul = backhaul
        self._modems = modems
        self._version = software_version
        self._backoff = backoff or Backoff()
        self._poll_s = poll_s
        self._welcome_timeout_s = welcome_timeout_s
        self._ack_timeout_s = ack_timeout_s
        self._healthy_after_s = healthy_after_s
        self._rng = rng
        self._sleep = sleep
        #: When this session's Welcome came (monotonic), None before it.
        self._welcomed_monotonic: float | None = None
        #: Batches written and not yet acked in this session, and when that last moved.
        self._unacked = 0
        self._progress_monotonic = 0.0
        self._wakeup = asyncio.Event()
        self.state = UplinkState()
        #: Backlog drain rate bound (records/s; 0 = none), settable by the collector.
        self.backlog_records_per_s = backlog_records_per_s
        self._rate_changed = asyncio.Event()  # a new rate ends a pause early
        #: While draining a backlog, resend the latest state this often.
        self.snapshot_interval_s = 10.0

    def notify(self) -> None:
        """New records are in the spool."""
        self._wakeup.set()

    async def run(self) -> None:
        """Stream until cancelled, reconnecting with back-off."""
        attempt = 0
        while True:
            needs_person = False
            retry_after: float | None = None
            self._welcomed_monotonic = None
            try:
                await self._session()
            except grpc.aio.AioRpcError as exc:
                self.state.last_error = f"{exc.code().name}: {exc.details()}"
                needs_person = exc.code() in _NEEDS_PERSON
                retry_after = retry_after_s(exc.trailing_metadata() or ())
                if needs_person:
                    log.error("collector refused this kit: %s", self.state.last_error)
                else:
                    log.warning("uplink to %s lost: %s", self._address, self.state.last_error)
            except SpoolError as exc:  # renumbering on a full disk: try again later
                self.state.last_error = str(exc)
                log.warning("uplink to %s paused: %s", self._address, exc)
            except Exception as exc:  # isolation boundary: no one stream's failure (a call
                # gRPC ended under us, a bug) may end the uplink: the spool waits for it
                self.state.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("uplink to %s failed; reconnecting", self._address)
            finally:
                self.state.connected = False
            _still_cancelled()
            welcomed = self._welcomed_monotonic
            attempt = next_attempt(
                attempt,
                welcomed_for_s=None if welcomed is None else time.monotonic() - welcomed,
                healthy_after_s=self._healthy_after_s,
                needs_person=needs_person,
            )
            backoff_s = self._backoff.delay(attempt, self._rng)
            await self._sleep(delay_after(retry_after, backoff_s, self._rng))

    async def _session(self) -> None:
        """One connection, until it fails (it raises; a stream never ends well)."""
        metadata = (("authorization", f"Bearer {self._credential}"),)
        async with open_channel(
            self._address, ca_file=self._ca_file, insecure=self._insecure
        ) as channel:
            stub = telemetry_pb2_grpc.TelemetryStub(channel)  # type: ignore[no-untyped-call]
            call = stub.Stream(metadata=metadata)
            try:
                async with asyncio.timeout(self._welcome_timeout_s):
                    await call.write(telemetry_pb2.AgentMessage(hello=self._hello()))
                    reply = await call.read()
            except TimeoutError:
                call.cancel()
                raise _stalled(f"no Welcome within {self._welcome_timeout_s:g} s") from None
            if reply is grpc.aio.EOF or reply.WhichOneof("msg") != "welcome":
                await call.done_writing()
                raise await _ended(call)
            t4 = time.time_ns()
            welcome = reply.welcome
            self._on_welcome(welcome, t4)
            self._in_flight = asyncio.Semaphore(max(1, welcome.max_batches_in_flight or 1))
            self._unacked = 0
            # Not a TaskGroup: on Python 3.11 a failing child leaves this task's
            # cancelling() count raised, and run() reads that count to tell a stop
            # from a lost stream (_still_cancelled).
            loops = [
                asyncio.create_task(self._send_loop(call, welcome)),
                asyncio.create_task(self._receive_loop(call)),
                asyncio.create_task(self._ack_watchdog()),
            ]
            try:
                done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_EXCEPTION)
            finally:
                for loop in loops:
                    loop.cancel()
                await asyncio.gather(*loops, return_exceptions=True)
            for loop in done:
                error = loop.exception()
                if error is not None:
                    raise error
            raise RuntimeError("a stream's loops ended without an error")  # never: they loop

    def _hello(self) -> telemetry_pb2.Hello:
        stamp = clock.now()
        self._hello_sent_ns = stamp.wall_unix_ns
        return build_hello(
            self._agent_id,
            self._site,
            stamp,
            version=self._version,
            head_seq=self._spool.backlog().head_seq,
            modem=self._modem(),
            backhaul=self._backhaul,
            modems=self._modems(),
        )

    def _on_welcome(self, welcome: telemetry_pb2.Welcome, t4: int) -> None:
        self.state.connected = True
        self.state.connects += 1
        self.state.sms_key = welcome.sms_key
        self._welcomed_monotonic = time.monotonic()
        self.state.last_error = None
        self.state.clock_offset_ns = (
            (welcome.hello_received_unix_ns - self._hello_sent_ns)
            + (welcome.welcome_sent_unix_ns - t4)
        ) // 2
        offset = self._spool.rebase_above(welcome.acked_through_seq)
        if offset:
            log.warning(
                "the collector already has seqs up to %d but this spool starts lower (was it "
                "wiped?): renumbered the spool by +%d so nothing is mistaken for a duplicate",
                welcome.acked_through_seq,
                offset,
            )
        self._ack(welcome.acked_through_seq)
        self._spool.settle(welcome.acked_through_seq)
        log.info(
            "connected to %s as %s (site %s), collector has through seq %d",
            self._address,
            welcome.agent_id,
            welcome.site_code,
            welcome.acked_through_seq,
        )

    def _ack(self, through_seq: int) -> None:
        """The collector has everything through ``through_seq``: delete it from the spool.
        A spool that cannot (a full disk) keeps the rows until a later ack deletes them."""
        self.state.last_ack_seq = max(self.state.last_ack_seq, through_seq)
        self.state.last_ack_monotonic = time.monotonic()
        try:
            self._spool.ack_through(through_seq)
        except SpoolError as exc:
            if self.state.spool_error is None:
                log.warning("%s; they stay until a later ack deletes them", exc)
            self.state.spool_error = str(exc)
            return
        if self.state.spool_error is not None:
            log.info("the spool deletes acked records again")
        self.state.spool_error = None

    async def _send_loop(
        self,
        call: _Call,
        welcome: telemetry_pb2.Welcome,
    ) -> None:
        max_bytes = welcome.max_batch_bytes or 256 * 1024
        last_sent = welcome.acked_through_seq
        last_snapshot = -float("inf")
        while True:
            rows = await asyncio.to_thread(
                self._spool.read_after, last_sent, max_bytes=max_bytes, max_records=1000
            )
            if not rows:
                if self.state.spool_error is not None:  # delete what was acked, at last
                    await asyncio.to_thread(self._ack, self.state.last_ack_seq)
                self._wakeup.clear()
                await wait_event(self._wakeup, self._poll_s)
                continue
            lag = self._spool.backlog().head_seq - rows[-1][0]
            draining = lag > 0
            if draining and time.monotonic() - last_snapshot >= self.snapshot_interval_s:
                # A backlog: show the collector the latest state first, then drain.
                await self._send_snapshot(call)
                last_snapshot = time.monotonic()
            batch = telemetry_pb2.Batch()
            for seq, payload in rows:
                record = batch.records.add()
                record.MergeFromString(payload)
                record.seq = seq
            await self._in_flight.acquire()
            if self._unacked == 0:
                self._progress_monotonic = time.monotonic()
            self._unacked += 1
            self._spool.mark_sent(rows[-1][0])  # from here the collector may store it
            await call.write(telemetry_pb2.AgentMessage(batch=batch))
            last_sent = rows[-1][0]
            if draining:
                await self._pace(len(rows))

    async def _pace(self, records: int) -> None:
        """After a batch of ``records`` of a backlog: wait until they have had their time
        at the backlog rate. A rate the collector sets meanwhile counts from the batch's
        sending: the full rate ends a trickle's pause (1,000 records at 10 a second:
        100 s) as soon as the collector has a drain slot for this kit."""
        sent = time.monotonic()
        while (rate := self.backlog_records_per_s) > 0:
            left = sent + records / rate - time.monotonic()
            if left <= 0:
                return
            self._rate_changed.clear()
            await wait_event(self._rate_changed, left)

    async def _send_snapshot(self, call: _Call) -> None:
        latest = await asyncio.to_thread(self._spool.latest_of_kinds, ("signal", "ping", "tcp"))
        if not latest:
            return
        snapshot = telemetry_pb2.Snapshot()
        for seq, payload in latest:
            record = snapshot.records.add()
            record.MergeFromString(payload)
            record.seq = seq
        await call.write(telemetry_pb2.AgentMessage(snapshot=snapshot))

    async def _receive_loop(self, call: _Call) -> None:
        while True:
            reply = await call.read()
            if reply is grpc.aio.EOF:
                raise await _ended(call)
            assert isinstance(reply, telemetry_pb2.CollectorMessage)
            which = reply.WhichOneof("msg")
            if which == "ack":
                await asyncio.to_thread(self._ack, reply.ack.through_seq)
                self._unacked = max(0, self._unacked - 1)
                self._progress_monotonic = time.monotonic()
                self._in_flight.release()
            elif which == "command":
                self._on_command(reply.command)

    async def _ack_watchdog(self) -> None:
        """End the session when batches in flight see no ack for ``ack_timeout_s``."""
        while True:
            await asyncio.sleep(min(1.0, self._ack_timeout_s / 4))
            waited = time.monotonic() - self._progress_monotonic
            if self._unacked and waited > self._ack_timeout_s:
                raise _stalled(
                    f"no ack within {self._ack_timeout_s:g} s for {self._unacked} batch(es) "
                    "in flight"
                )

    def _on_command(self, command: telemetry_pb2.Command) -> None:
        action = command.WhichOneof("action")
        if action == "set_backlog_rate":
            self.backlog_records_per_s = float(command.set_backlog_rate.max_records_per_s)
            self._rate_changed.set()
            log.info("backlog drain rate set to %g records/s", self.backlog_records_per_s)
        else:
            log.info("command from the collector not handled here: %s", action)


async def _ended(call: _Call) -> grpc.aio.AioRpcError:
    """The status a call ended with, trailing metadata (a busy collector's
    ``retry-after-ms``) included."""
    code = await call.code()
    trailing = await call.trailing_metadata() or grpc.aio.Metadata()
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, await call.details())


def _stalled(details: str) -> grpc.aio.AioRpcError:
    """A stream that lives but does not answer, as the error the reconnect loop handles."""
    return grpc.aio.AioRpcError(
        grpc.StatusCode.DEADLINE_EXCEEDED, grpc.aio.Metadata(), grpc.aio.Metadata(), details
    )


def _still_cancelled() -> None:
    """Stop here if this task was asked to stop. A cancellation that arrives while gRPC
    awaits inside a call can come out as that call's error (CANCELLED, or a call ended
    under us) rather than as CancelledError; caught as a lost stream, it would be
    consumed and the uplink would reconnect instead of ending, holding the service's
    shutdown open (SIGTERM unanswered). ``Task.cancelling()`` still says it was asked."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
