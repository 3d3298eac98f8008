"""The gRPC ingest: a servicer that only translates between gRPC and the stream session.

One stream per agent. Every rule of the stream (who the agent is, message order,
the batch checks, clock anchoring, which records the rules may trust) lives in the
sans-I/O :class:`collector.session.StreamSession`; this module reads the stream, does
the store lookups the session asks for (the agent, its clock anchors) in a worker
thread, hands checked batches to the :class:`~collector.committer.Committer`, acks
only after the transaction holding a batch has committed, hands the trusted records
to the brain, and maps the session's answers to protobuf messages and its refusals
(:mod:`collector.refusals`) to gRPC status codes:

- UNAUTHENTICATED: no credential, or a malformed, unknown or wrong one; or, on an
  open stream, a credential replaced by a re-enrollment or removed
- PERMISSION_DENIED: a revoked credential (also one revoked while its stream is open:
  :mod:`collector.revocation` cuts it within 5 s on every replica), or a Hello
  claiming another agent id or another site than the credential's enrollment
- FAILED_PRECONDITION: anything before Hello, a second Hello, or no Hello within
  :data:`HELLO_WAIT_S`
- INVALID_ARGUMENT: a malformed message, an AgentMessage with no member set, or a
  batch that breaks the contract (see collector.batches)
- RESOURCE_EXHAUSTED: a message over the size cap (enforced by gRPC itself)
- UNAVAILABLE: the store cannot take the batch (disk full, database lost); nothing
  is acked, so the kit keeps it and retries. Also a kit the collector cannot take now
  (admission control, :mod:`collector.gates`: the handshakes' store lookups at once
  and their queue are full, or the collector's part of its handshake, before or
  after the Hello, took over ``handshake_timeout_s``),
  with the trailing metadata ``retry-after-ms``: when to come back (jittered,
  docs/operations.md)
- ABORTED: an older stream of a kit whose newer stream was welcomed (superseded: its
  link dropped and it reconnected while this collector still held the old stream);
  logged at info, not as a refusal

Every refusal is logged (a warning naming the agent and the peer, its message bounded
like the status's: :func:`collector.refusals.clip`). An AgentMessage of a type this
collector does not know (a kit on a later pantau.v1) is skipped and logged once per
stream; the stream goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn, TypeVar

import grpc
from google.protobuf.message import DecodeError

from collector import session as sessions
from collector.admission import ack_delay_s, backlog_records
from collector.batches import BatchRejected
from collector.clocks import FUTURE_TOLERANCE_NS
from collector.committer import Committer
from collector.errors import CollectorError
from collector.gates import Admission, Busy
from collector.lookups import Coalesced
from collector.refusals import (
    RETRY_AFTER_KEY,
    KitRefused,
    MalformedMessage,
    OutOfOrder,
    Refusal,
    Status,
    Superseded,
    clip,
)
from collector.revocation import OpenStream, OpenStreams
from collector.session import Commit, Skipped, StreamSession
from collector.store import Store
from collector.store.model import Agent, BatchOutcome
from pantau.core import lifeline
from pantau.core.aio import within
from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc

if TYPE_CHECKING:
    from collector.brain import Brain

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
#: Threads for the handshakes' store lookups: one per kind (the agents, their clock
#: anchors), each read coalescing every kit that asks meanwhile (collector.lookups).
HANDSHAKE_THREADS = 2
T = TypeVar("T")

_CODES: dict[Status, grpc.StatusCode] = {
    Status.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    Status.PERMISSION_DENIED: grpc.StatusCode.PERMISSION_DENIED,
    Status.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    Status.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    Status.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    Status.ABORTED: grpc.StatusCode.ABORTED,
}

#: How long a newly welcomed stream waits for the older streams of its kit that it
#: superseded to end and give back what they held (a drain slot) before it goes on
#: without them: a cut ends one waiting for a message at once, one committing a batch
#: once the commit is done.
SUPERSEDE_WAIT_S = 5.0

_Context = grpc.aio.ServicerContext[telemetry_pb2.AgentMessage, telemetry_pb2.CollectorMessage]


class _StoreFailed(CollectorError):
    """The store could not answer: not the kit's fault (carried to the one place that
    ends the stream)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass(slots=True)
class StreamStats:
    connected: dict[str, float] = field(default_factory=dict)  # agent_id -> since (monotonic)
    records_stored: int = 0
    duplicates: int = 0
    batches_rejected: int = 0
    messages_skipped: int = 0  # AgentMessages of a type this collector does not know
    busy_refusals: int = 0  # kits told to come back later (admission control)
    superseded: int = 0  # older streams ended by their kit's newer stream


class TelemetryService(telemetry_pb2_grpc.TelemetryServicer):
    def __init__(
        self,
        store: Store,
        committer: Committer,
        *,
        brain: Brain | None = None,
        future_tolerance_ns: int = FUTURE_TOLERANCE_NS,
        admission: Admission | None = None,
        sms_secret: bytes = b"",
    ) -> None:
        self._store = store
        self._sms_secret = sms_secret
        #: Admission control: handshakes and backlog drains at once (collector.gates).
        self.admission = admission or Admission.unlimited()
        #: The handshakes' store lookups run on threads of their own: a brain busy
        #: judging thousands of sites (asyncio's default threads) cannot hold up Welcomes.
        self._lookups = ThreadPoolExecutor(HANDSHAKE_THREADS, thread_name_prefix="pantau-hello")
        #: ... each kind coalesced: the kits that ask at once are read in one query.
        self._agents = Coalesced(self._read_agents, self._lookups)
        self._anchors_of = Coalesced(self._read_anchors, self._lookups)
        self._committer = committer
        self._brain = brain
        self._future_tolerance_ns = future_tolerance_ns
        self.stats = StreamStats()
        #: This replica's open streams; its ``run()`` cuts those whose credential is
        #: revoked or replaced meanwhile (the collector runs it beside the server).
        self.open_streams = OpenStreams(store)

    def _sms_key(self, agent_id: str) -> bytes:
        """The kit's SMS lifeline key, for its Welcome (empty: no lifeline here)."""
        return lifeline.kit_key(self._sms_secret, agent_id) if self._sms_secret else b""

    async def Stream(
        self,
        request_iterator: AsyncIterator[telemetry_pb2.AgentMessage],
        context: _Context,
    ) -> AsyncIterator[telemetry_pb2.CollectorMessage]:
        messages = aiter(request_iterator)
        admission = self.admission
        shake = _Handshake()
        try:
            try:
                opened = await self._handshake(context, messages, shake)
            except Busy as full:  # no handshake slot for its store lookups
                self.stats.busy_refusals += 1
                if not shake.hello_read:
                    await _await_hello(messages)
                raise _StoreFailed(full.refusal) from None
            except TimeoutError:  # the collector's lookups took too long: come back later
                self.stats.busy_refusals += 1
                log.warning("the handshake of %s took over %g s: refused, to retry later",
                            shake.agent_id or "a kit", admission.handshake_timeout_s)  # fmt: skip
                slow = admission.handshakes.refuse("handshakes too slow")
                if not shake.hello_read:
                    await _await_hello(messages)
                raise _StoreFailed(slow.refusal) from None
            if opened is None:
                return
            session, welcome, head_seq = opened
            yield telemetry_pb2.CollectorMessage(welcome=telemetry_pb2.Welcome(
                agent_id=welcome.agent_id,
                site_code=welcome.site_code,
                acked_through_seq=welcome.acked_through_seq,
                hello_received_unix_ns=welcome.hello_received_unix_ns,
                welcome_sent_unix_ns=welcome.welcome_sent_unix_ns,
                max_batch_bytes=welcome.max_batch_bytes,
                max_batches_in_flight=welcome.max_batches_in_flight,
                collector_version=welcome.collector_version,
                sms_key=self._sms_key(welcome.agent_id),
            ))  # fmt: skip
            backlog = backlog_records(head_seq, welcome.acked_through_seq)
            with self.open_streams.open(session) as stream:
                # Streams of this kit ended: its older ones, or this one if it is stale.
                self.stats.superseded += len(stream.older) + (stream.cut_by is not None)
                if stream.older:  # wait until they have given back what they hold
                    await stream.superseded(SUPERSEDE_WAIT_S)
                stream.check()  # a stale stream of the kit, or superseded meanwhile?
                serve = self._serve(stream, messages, backlog_through=head_seq, backlog=backlog)
                async with contextlib.aclosing(serve) as replies:
                    async for reply in replies:
                        yield reply
        except KitRefused as refused:
            if isinstance(refused, BatchRejected):
                self.stats.batches_rejected += 1
            if shake.refused_before_hello:  # its slot is free again: now wait for it
                await _await_hello(messages)
            if isinstance(refused, Superseded):  # not a fault: the kit moved on
                log.info("ended the older stream of %s (%s): %s", shake.agent_id,
                         clip(context.peer()), refused)  # fmt: skip
            else:
                _log_refusal(shake.agent_id, context.peer(), refused.refusal)
            await _refuse(context, refused.refusal)
        except _StoreFailed as failed:
            await _refuse(context, failed.refusal)

    async def _handshake(
        self,
        context: _Context,
        messages: AsyncIterator[telemetry_pb2.AgentMessage],
        shake: _Handshake,
    ) -> tuple[StreamSession, sessions.Welcome, int] | None:
        """Credential, Hello and Welcome (None: the kit hung up before its Hello); the
        Hello's ``head_seq`` too (how far the kit's spool goes). The collector's part
        before the Hello (the credential) and after it (the anchors, the Welcome) is
        bounded by ``handshake_timeout_s`` each (TimeoutError); the kit's Hello by
        :data:`HELLO_WAIT_S` (:class:`NoHello`)."""
        bound_s = self.admission.handshake_timeout_s
        try:
            header = dict(context.invocation_metadata() or ()).get("authorization", "")
            credential = sessions.read_credential(str(header))
            shake.agent_id = credential.agent_id  # well-formed: at most 64 characters
            async with asyncio.timeout(bound_s):
                agent = await self._lookup(self._agents, credential.agent_id)
            session = StreamSession.admit(
                credential, agent, future_tolerance_ns=self._future_tolerance_ns
            )
        except KitRefused:
            shake.refused_before_hello = True
            raise
        try:
            first = await within(_next(messages), HELLO_WAIT_S)
        except TimeoutError:
            raise NoHello(HELLO_WAIT_S) from None
        shake.hello_read = True
        if first is None:
            return None
        async with asyncio.timeout(bound_s):
            accepted = session.hello(first, time.time_ns())
            if self._brain is not None and accepted.backhaul is not None:
                self._brain.note_backhaul(session.agent.site_code, accepted.backhaul)
            anchors = await self._anchors(session.agent.agent_id)
            return session, session.welcome(anchors, time.time_ns()), first.hello.head_seq

    async def _serve(
        self,
        stream: OpenStream,
        messages: AsyncIterator[telemetry_pb2.AgentMessage],
        *,
        backlog_through: int,
        backlog: int,
    ) -> AsyncGenerator[telemetry_pb2.CollectorMessage, None]:
        """After the Welcome: commit each message, answer each Batch with its Ack. A kit
        with a backlog (``backlog`` records, through seq ``backlog_through``) drains it
        at full rate only while it holds a drain slot; until then it is told the trickle
        rate and its acks are paced to it (:class:`collector.gates.DrainPolicy`). It
        waits in line for a slot, and is told the full rate as soon as one is handed to
        it: not only when its next batch comes (a kit holding to the trickle rate sends
        its next batch of up to 1,000 records only after 1,000 / rate seconds)."""
        session = stream.session
        agent_id = session.agent.agent_id
        skipped = 0  # messages of an unknown type on this stream
        drains, policy = self.admission.drains, self.admission.drain
        holds_drain = paced = False
        line: asyncio.Future[None] | None = None  # paced: in line for a drain slot
        reading: asyncio.Task[telemetry_pb2.AgentMessage | None] | None = None  # (in line)
        last_ack = since = time.monotonic()
        if not session.is_check:  # a check's stream beside the kit's is not its kit's
            self.stats.connected[agent_id] = since  # this stream's (its kit's last one)
        try:  # from the slot on: a stream closed at any yield gives it back
            if backlog > policy.threshold_records:
                holds_drain = drains.try_enter()
                paced = not holds_drain
                line = None if holds_drain else drains.join_line()
                rate = policy.full_records_per_s if holds_drain else policy.trickle_records_per_s
                yield _backlog_rate(rate)
            while True:
                if line is not None:  # the next message, or a drain slot if it comes first
                    if reading is None:
                        reading = asyncio.ensure_future(stream.read(_next(messages)))
                    await asyncio.wait((reading, line), return_when=asyncio.FIRST_COMPLETED)
                    if line.done():
                        line, holds_drain, paced = None, True, False
                        yield _backlog_rate(policy.full_records_per_s)
                        continue
                    message = reading.result()
                elif reading is not None:  # a read begun in line
                    message = await reading
                else:
                    message = await stream.read(_next(messages))
                reading = None
                if message is None:
                    break
                step = session.receive(message, time.time_ns())
                if isinstance(step, Skipped):
                    skipped += 1
                    self._skipped(agent_id, step, first=skipped == 1)
                    continue
                stream.check()  # cut (revoked) since the last message?
                outcome = await self._commit(step)
                stream.check()  # cut while committing: stored maybe, never acked
                acked = session.committed(step, outcome)
                if acked is None:  # a Snapshot: live state, not answered
                    continue
                if self._brain is not None:  # never waits for the rules
                    self._brain.note(
                        session.agent.site_code, acked.received_ns, acked.trusted,
                        agent_id=agent_id,
                    )  # fmt: skip
                self.stats.records_stored += outcome.stored
                self.stats.duplicates += outcome.duplicates
                if paced and (line.done() if line is not None else drains.try_enter()):
                    line, holds_drain, paced = None, True, False  # a drain slot: full rate
                    yield _backlog_rate(policy.full_records_per_s)
                if paced:  # a cut (revoked, superseded) ends the wait at once
                    await stream.read(asyncio.sleep(ack_delay_s(
                        len(step.batch.rows), policy.trickle_records_per_s,
                        time.monotonic() - last_ack, max_delay_s=policy.max_ack_delay_s,
                    )))  # fmt: skip
                if holds_drain and session.acked_through >= backlog_through:
                    holds_drain = False  # drained: what comes now is live
                    drains.leave()
                last_ack = time.monotonic()
                ack = acked.ack
                yield telemetry_pb2.CollectorMessage(ack=telemetry_pb2.Ack(
                    through_seq=ack.through_seq, stored=ack.stored, duplicates=ack.duplicates
                ))  # fmt: skip
        finally:
            if self.stats.connected.get(agent_id) is since:  # not a newer stream's
                del self.stats.connected[agent_id]
            if reading is not None:  # the stream ends: so does its read
                reading.cancel()
                reading.add_done_callback(_retrieved)
            if line is not None:
                drains.abandon(line)
            if holds_drain:
                drains.leave()

    async def _lookup(self, lookup: Coalesced[T], agent_id: str) -> T | None:
        """A handshake's store lookup, in one of the handshake slots (admission control:
        raises :class:`~collector.gates.Busy` when there is none for this kit)."""
        async with self.admission.handshakes.slot():
            return await lookup.get(agent_id)

    def _read_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]:
        return self._store.get_agents(agent_ids)  # the store's as it is now (tests watch)

    def _read_anchors(self, agent_ids: Sequence[str]) -> dict[str, dict[str, tuple[int, int]]]:
        return self._store.anchors_of(agent_ids)

    def close(self) -> None:
        """Stop the handshakes' threads (after the server has stopped)."""
        self._lookups.shutdown(wait=False, cancel_futures=True)

    def _skipped(self, agent_id: str, skipped: Skipped, *, first: bool) -> None:
        """A message of a type this collector does not know: count it, log a stream's first."""
        self.stats.messages_skipped += 1
        if first:
            log.info(
                "skipped a message of a type this collector does not know from %s "
                "(AgentMessage field %s): a kit on a later pantau.v1; upgrade the collector "
                "to use it",
                agent_id, ", ".join(map(str, skipped.field_numbers)),
            )  # fmt: skip

    async def _anchors(self, agent_id: str) -> dict[str, tuple[int, int]]:
        try:
            return await self._lookup(self._anchors_of, agent_id) or {}
        except Busy:
            raise
        except Exception as exc:  # isolation boundary: any storage failure is UNAVAILABLE
            log.error("cannot read the clock anchors of %s", agent_id, exc_info=True)
            raise _StoreFailed(sessions.store_unavailable(exc)) from exc

    async def _commit(self, commit: Commit) -> BatchOutcome:
        """Commit, or end the stream with UNAVAILABLE when the store cannot take it (a full
        disk, a lost database): nothing is acked, so the kit keeps the batch and retries."""
        try:
            return await self._committer.commit(commit.batch)
        except Exception as exc:  # isolation boundary: any storage failure is UNAVAILABLE
            log.error("cannot store a batch of %s", commit.batch.agent_id, exc_info=True)
            raise _StoreFailed(sessions.store_unavailable(exc)) from exc


async def _next(
    messages: AsyncIterator[telemetry_pb2.AgentMessage],
) -> telemetry_pb2.AgentMessage | None:
    """The next message, or None at the end; garbage is INVALID_ARGUMENT, not UNKNOWN."""
    try:
        return await anext(messages, None)
    except DecodeError:
        raise MalformedMessage() from None


def _retrieved(task: asyncio.Task[object]) -> None:
    """A task left behind whose outcome no one awaits (not logged as never retrieved)."""
    if not task.cancelled():
        task.exception()


@dataclass(slots=True)
class _Handshake:
    """How far a stream's handshake got (for its refusal and its log line)."""

    agent_id: str = ""  # known once the credential is read
    refused_before_hello: bool = False  # its Hello is still to be awaited (HELLO_GRACE_S)
    hello_read: bool = False


#: How long an admitted stream waits for its Hello (a kit sends it at once; its own
#: Welcome timeout is 30 s).
HELLO_WAIT_S = 60.0


class NoHello(OutOfOrder):
    """A stream whose Hello did not come within :data:`HELLO_WAIT_S`."""

    def __init__(self, waited_s: float) -> None:
        super().__init__(f"no Hello within {waited_s:g} s: the first message must be Hello")


#: How long a stream refused at admission waits for its Hello before ending.
HELLO_GRACE_S = 2.0


async def _await_hello(messages: AsyncIterator[telemetry_pb2.AgentMessage]) -> None:
    """Let a refused kit's Hello arrive (for at most :data:`HELLO_GRACE_S`) before ending
    its stream. An asyncio gRPC client whose write is still in flight when the server ends
    the call reports INTERNAL ("Internal error from Core") instead of the server's status
    (grpc/grpc#36066): a kit that writes its Hello and waits for the Welcome, as the
    agent does, then always reads the refusal it was given, not a retryable INTERNAL."""
    with contextlib.suppress(Exception):  # whatever it sent, the refusal stands
        await within(anext(messages, None), HELLO_GRACE_S)


def _log_refusal(agent_id: str, peer: str, refusal: Refusal) -> None:
    """Every refusal leaves a line (bounded: a refusal's message is, and echoes are clipped)."""
    who = agent_id or "a kit with no valid credential"
    log.warning("refused the stream of %s (%s): %s %s", who, clip(peer), refusal.status,
                refusal.message)  # fmt: skip


def _backlog_rate(records_per_s: int) -> telemetry_pb2.CollectorMessage:
    return telemetry_pb2.CollectorMessage(command=telemetry_pb2.Command(
        command_id="backlog-rate",
        set_backlog_rate=telemetry_pb2.SetBacklogRate(max_records_per_s=records_per_s),
    ))  # fmt: skip


async def _refuse(context: _Context, refusal: Refusal) -> NoReturn:
    trailing: tuple[tuple[str, str], ...] = ()
    if refusal.retry_after_ms is not None:
        trailing = ((RETRY_AFTER_KEY, str(refusal.retry_after_ms)),)
    await context.abort(_CODES[refusal.status], refusal.message, trailing_metadata=trailing)
    raise AssertionError("unreachable: abort raises")  # pragma: no cover
