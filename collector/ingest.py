"""The gRPC ingest: a thin servicer over plain functions and a group committer.

One stream per agent. The agent authenticates with its credential in the call
metadata; the site comes from its enrollment, never from what it says. Every
Batch is checked (:mod:`collector.batches`), handed to the :class:`Committer`,
and acked only after the transaction holding it has committed. Refusals use
precise status codes:

- UNAUTHENTICATED: no credential, or a malformed, unknown or wrong one
- PERMISSION_DENIED: a revoked credential, or a Hello claiming another agent id or
  another site than the credential's enrollment
- FAILED_PRECONDITION: anything before Hello, or a second Hello
- INVALID_ARGUMENT: a batch that breaks the contract (see collector.batches)
- RESOURCE_EXHAUSTED: a message over the size cap (enforced by gRPC itself)
- UNAVAILABLE: the store cannot take the batch (disk full, database lost); nothing
  is acked, so the kit keeps it and retries
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import grpc
from google.protobuf.message import DecodeError

from collector import auth, batches
from collector.clocks import TRUSTED_TIME, Anchor
from collector.committer import Committer
from collector.store import Store
from collector.store.model import Agent, BatchOutcome, IngestBatch
from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc

if TYPE_CHECKING:
    from collector.brain import Brain

_STORE_DOWN = "the collector cannot store data right now ({}); the kit keeps it and retries"

log = logging.getLogger(__name__)

VERSION = "0.1.0"
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
MAX_BATCH_BYTES = 256 * 1024
MAX_BATCHES_IN_FLIGHT = 4


@dataclass(slots=True)
class StreamStats:
    connected: dict[str, float] = field(default_factory=dict)  # agent_id -> since (monotonic)
    records_stored: int = 0
    duplicates: int = 0
    batches_rejected: int = 0


class TelemetryService(telemetry_pb2_grpc.TelemetryServicer):
    def __init__(self, store: Store, committer: Committer, *, brain: Brain | None = None) -> None:
        self._store = store
        self._committer = committer
        self._brain = brain
        self.stats = StreamStats()

    async def Stream(
        self,
        request_iterator: AsyncIterator[telemetry_pb2.AgentMessage],
        context: grpc.aio.ServicerContext[
            telemetry_pb2.AgentMessage, telemetry_pb2.CollectorMessage
        ],
    ) -> AsyncIterator[telemetry_pb2.CollectorMessage]:
        agent = await self._authenticate(context)
        messages = aiter(request_iterator)
        first = await _next(messages, context)
        if first is None:
            return
        if first.WhichOneof("msg") != "hello":
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION, "the first message on a stream must be Hello"
            )
        hello = first.hello
        if hello.agent_id and hello.agent_id != agent.agent_id:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"Hello names agent {hello.agent_id!r} but the credential is {agent.agent_id!r}",
            )
        if hello.claimed_site and hello.claimed_site != agent.site_code:
            # A credential copied to the wrong kit: its data would be filed under the
            # wrong TPS. Refuse rather than guess; the technician re-enrolls the kit.
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"this credential is enrolled for site {agent.site_code}, not "
                f"{hello.claimed_site}: enroll this kit for its own site",
            )
        received_ns = time.time_ns()
        try:
            anchors = await asyncio.to_thread(self._anchors, agent)
        except Exception as exc:  # noqa: BLE001 - a storage failure: tell the kit
            log.error("cannot read the clock anchors of %s: %s", agent.agent_id, exc)
            await context.abort(grpc.StatusCode.UNAVAILABLE, _STORE_DOWN.format(type(exc).__name__))
        # This Hello's anchor corrects this stream's records at once, and is stored with
        # the stream's first commit (a reconnect storm costs no transaction per kit).
        pending_anchor = None
        if hello.HasField("sent_at") and hello.sent_at.boot_id:
            boot, mono = hello.sent_at.boot_id, hello.sent_at.monotonic_ns
            anchors[boot] = Anchor(mono, received_ns)
            pending_anchor = (boot, mono, received_ns)
        yield telemetry_pb2.CollectorMessage(
            welcome=telemetry_pb2.Welcome(
                agent_id=agent.agent_id,
                site_code=agent.site_code,
                acked_through_seq=agent.acked_through,
                hello_received_unix_ns=received_ns,
                welcome_sent_unix_ns=time.time_ns(),
                max_batch_bytes=MAX_BATCH_BYTES,
                max_batches_in_flight=MAX_BATCHES_IN_FLIGHT,
                collector_version=VERSION,
            )
        )
        self.stats.connected[agent.agent_id] = time.monotonic()
        acked = agent.acked_through
        try:
            while (message := await _next(messages, context)) is not None:
                kind = message.WhichOneof("msg")
                if kind == "hello":
                    await context.abort(
                        grpc.StatusCode.FAILED_PRECONDITION,
                        "Hello may be sent only once per stream",
                    )
                body = message.snapshot if kind == "snapshot" else message.batch
                try:
                    prepared = batches.prepare(
                        body,
                        agent_id=agent.agent_id,
                        site_code=agent.site_code,
                        anchors=anchors,
                        received_ns=time.time_ns(),
                    )
                except batches.BatchRejected as exc:
                    self.stats.batches_rejected += 1
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
                prepared.anchor, pending_anchor = pending_anchor, None
                if kind == "snapshot":  # live state only: the records come again in a Batch
                    prepared.rows.clear()
                    await self._commit(prepared, context)
                    continue
                outcome = await self._commit(prepared, context)
                if self._brain is not None:
                    # Only records new to the store go to the rules (a resent one was
                    # judged already, or is in the stored window a rebuild reads), and
                    # only those whose event time can be trusted.
                    fresh = [
                        (row.event_ns, record)
                        for row, record in zip(prepared.rows, body.records, strict=True)
                        if row.seq > acked and row.time_quality in TRUSTED_TIME
                    ]
                    await self._brain.observe(
                        agent.site_code, prepared.received_ns, fresh, agent_id=agent.agent_id
                    )
                acked = max(acked, outcome.acked_through)
                self.stats.records_stored += outcome.stored
                self.stats.duplicates += outcome.duplicates
                yield telemetry_pb2.CollectorMessage(
                    ack=telemetry_pb2.Ack(
                        through_seq=outcome.acked_through,
                        stored=outcome.stored,
                        duplicates=outcome.duplicates,
                    )
                )
        finally:
            self.stats.connected.pop(agent.agent_id, None)

    async def _commit(
        self,
        prepared: IngestBatch,
        context: grpc.aio.ServicerContext[
            telemetry_pb2.AgentMessage, telemetry_pb2.CollectorMessage
        ],
    ) -> BatchOutcome:
        """Commit, or end the stream with UNAVAILABLE when the store cannot take it (a full
        disk, a lost database): nothing is acked, so the kit keeps the batch and retries."""
        try:
            return await self._committer.commit(prepared)
        except Exception as exc:  # noqa: BLE001 - any storage failure: tell the kit, keep going
            log.error("cannot store a batch of %s: %s", prepared.agent_id, exc)
            await context.abort(grpc.StatusCode.UNAVAILABLE, _STORE_DOWN.format(type(exc).__name__))
        raise AssertionError("unreachable: abort raises")  # pragma: no cover

    async def _authenticate(
        self,
        context: grpc.aio.ServicerContext[
            telemetry_pb2.AgentMessage, telemetry_pb2.CollectorMessage
        ],
    ) -> Agent:
        header = dict(context.invocation_metadata() or ()).get("authorization", "")
        scheme, _, token = str(header).partition(" ")
        if scheme.lower() != "bearer" or not token:
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED,
                "no credential: send 'authorization: Bearer <credential>' (enroll the kit first)",
            )
        try:
            credential = auth.parse_token(token)
        except auth.CredentialError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
        agent = await asyncio.to_thread(self._store.get_agent, credential.agent_id)
        if agent is None or not auth.secret_matches(credential.secret, agent.secret_hash):
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED, "unknown agent or wrong credential"
            )
        assert agent is not None
        if agent.revoked:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"agent {agent.agent_id} has been revoked"
            )
        return agent

    def _anchors(self, agent: Agent) -> dict[str, Anchor]:
        return {
            boot: Anchor(mono, coll)
            for boot, (mono, coll) in self._store.anchors(agent.agent_id).items()
        }


async def _next(
    messages: AsyncIterator[telemetry_pb2.AgentMessage],
    context: grpc.aio.ServicerContext[telemetry_pb2.AgentMessage, telemetry_pb2.CollectorMessage],
) -> telemetry_pb2.AgentMessage | None:
    """The next message, or None at the end; garbage is INVALID_ARGUMENT, not UNKNOWN."""
    try:
        return await anext(messages, None)
    except DecodeError:
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT, "malformed message: not a pantau.v1.AgentMessage"
        )
    raise AssertionError("unreachable: abort raises")  # pragma: no cover
