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
- FAILED_PRECONDITION: anything before Hello, or a second Hello
- INVALID_ARGUMENT: a malformed message, an AgentMessage with no member set, or a
  batch that breaks the contract (see collector.batches)
- RESOURCE_EXHAUSTED: a message over the size cap (enforced by gRPC itself)
- UNAVAILABLE: the store cannot take the batch (disk full, database lost); nothing
  is acked, so the kit keeps it and retries

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
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

import grpc
from google.protobuf.message import DecodeError

from collector import session as sessions
from collector.batches import BatchRejected
from collector.clocks import FUTURE_TOLERANCE_NS
from collector.committer import Committer
from collector.errors import CollectorError
from collector.refusals import KitRefused, MalformedMessage, Refusal, Status, clip
from collector.revocation import OpenStream, OpenStreams
from collector.session import Commit, Skipped, StreamSession
from collector.store import Store
from collector.store.model import BatchOutcome
from pantau.core import lifeline
from pantau.core.aio import within
from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc

if TYPE_CHECKING:
    from collector.brain import Brain

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4 * 1024 * 1024

_CODES: dict[Status, grpc.StatusCode] = {
    Status.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    Status.PERMISSION_DENIED: grpc.StatusCode.PERMISSION_DENIED,
    Status.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    Status.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    Status.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}

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


class TelemetryService(telemetry_pb2_grpc.TelemetryServicer):
    def __init__(
        self,
        store: Store,
        committer: Committer,
        *,
        brain: Brain | None = None,
        future_tolerance_ns: int = FUTURE_TOLERANCE_NS,
        sms_secret: bytes = b"",
    ) -> None:
        self._store = store
        self._sms_secret = sms_secret
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
        agent_id = ""  # known once the credential is read: for the log of a refusal
        messages = aiter(request_iterator)
        try:
            try:
                header = dict(context.invocation_metadata() or ()).get("authorization", "")
                credential = sessions.read_credential(str(header))
                agent_id = credential.agent_id  # well-formed: at most 64 characters
                agent = await asyncio.to_thread(self._store.get_agent, credential.agent_id)
                session = StreamSession.admit(
                    credential, agent, future_tolerance_ns=self._future_tolerance_ns
                )
            except KitRefused:
                await _await_hello(messages)
                raise
            first = await _next(messages)
            if first is None:
                return
            accepted = session.hello(first, time.time_ns())
            if self._brain is not None and accepted.backhaul is not None:
                self._brain.note_backhaul(session.agent.site_code, accepted.backhaul)
            anchors = await self._anchors(session.agent.agent_id)
            welcome = session.welcome(anchors, time.time_ns())
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
            with self.open_streams.open(session) as stream:
                async with contextlib.aclosing(self._serve(stream, messages)) as replies:
                    async for reply in replies:
                        yield reply
        except KitRefused as refused:
            if isinstance(refused, BatchRejected):
                self.stats.batches_rejected += 1
            _log_refusal(agent_id, context.peer(), refused.refusal)
            await _refuse(context, refused.refusal)
        except _StoreFailed as failed:
            await _refuse(context, failed.refusal)

    async def _serve(
        self, stream: OpenStream, messages: AsyncIterator[telemetry_pb2.AgentMessage]
    ) -> AsyncGenerator[telemetry_pb2.CollectorMessage, None]:
        """After the Welcome: commit each message, answer each Batch with its Ack."""
        session = stream.session
        agent_id = session.agent.agent_id
        skipped = 0  # messages of an unknown type on this stream
        self.stats.connected[agent_id] = time.monotonic()
        try:
            while (message := await stream.read(_next(messages))) is not None:
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
                if self._brain is not None:
                    await self._brain.observe(
                        session.agent.site_code, acked.received_ns, acked.trusted,
                        agent_id=agent_id,
                    )  # fmt: skip
                self.stats.records_stored += outcome.stored
                self.stats.duplicates += outcome.duplicates
                ack = acked.ack
                yield telemetry_pb2.CollectorMessage(ack=telemetry_pb2.Ack(
                    through_seq=ack.through_seq, stored=ack.stored, duplicates=ack.duplicates
                ))  # fmt: skip
        finally:
            self.stats.connected.pop(agent_id, None)

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
            return await asyncio.to_thread(self._store.anchors, agent_id)
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


async def _refuse(context: _Context, refusal: Refusal) -> NoReturn:
    await context.abort(_CODES[refusal.status], refusal.message)
    raise AssertionError("unreachable: abort raises")  # pragma: no cover
