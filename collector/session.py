"""One Telemetry stream, sans I/O: the kit's messages in, what to answer and the
newly trusted records out.

No I/O and no clock (this module imports no grpc, asyncio, socket, time or
database): the servicer (:mod:`collector.ingest`) owns the stream, the store and
the committer, and passes the time in (``received_ns``, ``sent_ns``). A stream
goes::

    read_credential(header) -> servicer: store.get_agent -> StreamSession.admit()
    hello(Hello)      -> HelloAccepted   servicer: store.anchors(agent)
    welcome(anchors)  -> Welcome         (acked_through: where the kit resumes)
    receive(Batch)    -> Commit          servicer: committer.commit(commit.batch)
    committed(c, o)   -> Acked           (the Ack, and the trusted records: the rules)
    receive(Snapshot) -> Commit          (live state only: committed() -> None, no Ack)
    receive(newer)    -> Skipped         (a member this collector does not know: ignored)
    recheck(agent)    -> None, or raises (the servicer's periodic look at the store:
                                          a credential revoked or replaced meanwhile)
    supersede(other)  -> (ended, Superseded) | None  (this stream was welcomed beside
                                          another of its kit: the older one ends)

Rules kept here, once:

- *Who*: the credential names the agent and the agent's enrollment names the site;
  what the kit says never does. A Hello naming another agent, or claiming another
  site, is refused with PERMISSION_DENIED (a credential copied to the wrong kit: its
  data would be filed under the wrong TPS; the technician re-enrolls the kit). The
  credential is checked again while the stream is open (:meth:`StreamSession.recheck`):
  revoked, it ends with PERMISSION_DENIED; replaced by a re-enrollment or removed,
  UNAUTHENTICATED. What the kit sent is echoed only through
  :func:`collector.refusals.clip`.
- *Order*: Hello first and once; then any number of Batch and Snapshot. Messages are
  taken one at a time in the order they came, so a Batch the kit sent before the
  Welcome reached it is handled as if sent after, and batches beyond
  ``max_batches_in_flight`` simply wait their turn (the limit is the kit's to keep,
  not enforced here).
- *Forward compatibility*: an AgentMessage whose member this collector does not know
  (a kit on a later pantau.v1) is skipped (:class:`Skipped`, for the servicer to log)
  and the stream goes on; one with no member at all is refused (INVALID_ARGUMENT).
- *Checks*: every Batch and Snapshot goes through :func:`collector.batches.prepare`
  (refused whole: nothing of it is stored).
- *Clock anchoring* (:mod:`collector.clocks`): the Hello's monotonic time paired with
  the collector's receive time anchors the kit's current boot; it corrects this
  stream's records at once and is stored with the stream's first commit (a reconnect
  storm costs no transaction per kit). Stored anchors of earlier boots come from the
  servicer at :meth:`StreamSession.welcome`.
- *One stream per kit*: a kit whose link dropped reconnects on a new stream while
  the collector may still hold the old one (half-open: nothing tells it the kit is
  gone until keepalive does, minutes later), with whatever it holds (a backlog drain
  slot). Once the newer stream is welcomed, :meth:`StreamSession.supersede` ends the
  older one (by Hello time) with ABORTED (:class:`~collector.refusals.Superseded`). A ``check``'s
  stream (``host["purpose"] = "check"``, a technician's Hello beside the running
  kit) neither ends the kit's stream nor is ended by it. A batch the older stream
  was committing may be stored, but it is not acked: the kit sends it again on its
  newer stream and the store counts it a duplicate (exactly once per (agent, seq)).
- *Trusted time*: only records new to the store (seq above what was acked before
  the commit: a resent record was judged already) whose event time is trusted
  (:data:`collector.clocks.TRUSTED_TIME`) are handed on to the rules.

What the kit sent wrong raises a :class:`~collector.refusals.KitRefused` carrying the
status to answer (``.refusal``); a refused session is closed and refuses anything
more. A method called out of turn by the servicer is a
:class:`~pantau.core.errors.LocalProtocolError` (a bug on this side).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from google.protobuf.unknown_fields import UnknownFieldSet

from collector import auth, batches
from collector.clocks import FUTURE_TOLERANCE_NS, TRUSTED_TIME, Anchor, boot_id_fault
from collector.refusals import (
    AccessDenied,
    CredentialRefused,
    KitRefused,
    MalformedMessage,
    OutOfOrder,
    Refusal,
    Status,
    Superseded,
    clip,
)
from collector.store.model import Agent, BatchOutcome, IngestBatch
from pantau.core.backhaul import from_enum_name
from pantau.core.errors import LocalProtocolError
from pantau.v1 import records_pb2, telemetry_pb2

VERSION = "0.1.0"
MAX_BATCH_BYTES = 256 * 1024
MAX_BATCHES_IN_FLIGHT = 4

_STORE_DOWN = "the collector cannot store data right now ({}); the kit keeps it and retries"
_REVOKED = "agent {} has been revoked"
_SHOWN_FIELDS = 8  # unknown field numbers a Skipped names (the log's, not the kit's, bound)
_REPLACED = (
    "this credential of agent {} is no longer valid (the kit was enrolled again or "
    "removed): use the new credential"
)


# -- what the session gives back ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HelloAccepted:
    """The Hello is good: read the agent's stored anchors, then call ``welcome``.

    ``backhaul``: the link the kit says it reaches the collector over (``"cellular"``,
    ``"vsat-geo"``, ...: :mod:`pantau.core.backhaul`; cellular when it does not say),
    for the rules to judge its site by; None when the stream is ``check``'s
    (``host["purpose"] = "check"``), which says nothing about the kit's link."""

    agent_id: str
    backhaul: str | None = None


@dataclass(frozen=True, slots=True)
class Welcome:
    agent_id: str
    site_code: str
    acked_through_seq: int  # the kit resumes after this seq
    hello_received_unix_ns: int
    welcome_sent_unix_ns: int
    max_batch_bytes: int = MAX_BATCH_BYTES
    max_batches_in_flight: int = MAX_BATCHES_IN_FLIGHT
    collector_version: str = VERSION


@dataclass(frozen=True, slots=True)
class Commit:
    """A checked Batch or Snapshot to store; answer it with ``committed`` once stored."""

    batch: IngestBatch
    records: Sequence[records_pb2.Record]  # as the kit sent them, one per row
    snapshot: bool  # live state only: no rows are stored and nothing is answered


@dataclass(frozen=True, slots=True)
class Skipped:
    """An AgentMessage whose member this collector does not know (a newer kit's): ignored.

    ``field_numbers`` are the message's unknown fields (the lowest few), for the log."""

    field_numbers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Ack:
    through_seq: int
    stored: int
    duplicates: int


class TrustedRecord(NamedTuple):
    """A record new to the store whose event time the rules may trust."""

    event_ns: int
    record: records_pb2.Record


@dataclass(frozen=True, slots=True)
class Acked:
    """A committed Batch: the Ack to send, and the records to hand to the rules."""

    ack: Ack
    received_ns: int  # when the collector heard the kit (AGENT_SILENT is about arrival)
    trusted: tuple[TrustedRecord, ...]


# -- before the session: the credential -----------------------------------------------------


def read_credential(authorization: str) -> auth.Credential:
    """The credential in an ``authorization: Bearer <agent_id>.<secret>`` header."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise CredentialRefused(
            "no credential: send 'authorization: Bearer <credential>' (enroll the kit first)"
        )
    try:
        return auth.parse_token(token)
    except auth.CredentialError as exc:
        raise CredentialRefused(str(exc)) from None


def store_unavailable(cause: BaseException) -> Refusal:
    """The answer when the store cannot read or take a batch (not the kit's fault)."""
    return Refusal(Status.UNAVAILABLE, _STORE_DOWN.format(type(cause).__name__))


# -- the session ---------------------------------------------------------------------------


class _State(enum.Enum):
    AWAIT_HELLO = enum.auto()
    AWAIT_ANCHORS = enum.auto()  # Hello accepted; the servicer reads the anchors
    STREAMING = enum.auto()
    CLOSED = enum.auto()  # refused: nothing more is accepted


class StreamSession:
    """The state of one open Telemetry.Stream of one authenticated agent."""

    def __init__(self, agent: Agent, *, future_tolerance_ns: int = FUTURE_TOLERANCE_NS) -> None:
        """Use :meth:`admit`: it checks the credential against ``agent``."""
        self.agent = agent
        self.future_tolerance_ns = future_tolerance_ns
        self.acked_through = agent.acked_through
        self._state = _State.AWAIT_HELLO
        self._anchors: dict[str, Anchor] = {}
        self._hello_anchor: tuple[str, int, int] | None = None  # stored with the 1st commit
        self._hello_received_ns = 0
        self._check = False  # a check's stream (the Hello says so): never superseding

    @classmethod
    def admit(
        cls,
        credential: auth.Credential,
        agent: Agent | None,
        *,
        future_tolerance_ns: int = FUTURE_TOLERANCE_NS,
    ) -> StreamSession:
        """A session for ``agent`` (the store's record of ``credential.agent_id``, or
        None when it has none) if the credential is its own and not revoked; event times
        more than ``future_tolerance_ns`` ahead of arrival are judged from the future."""
        if agent is None or not auth.secret_matches(credential.secret, agent.secret_hash):
            raise CredentialRefused("unknown agent or wrong credential")
        if agent.revoked:
            raise AccessDenied(_REVOKED.format(agent.agent_id))
        return cls(agent, future_tolerance_ns=future_tolerance_ns)

    @property
    def streaming(self) -> bool:
        return self._state is _State.STREAMING

    @property
    def is_check(self) -> bool:
        """A ``check``'s stream (its Hello says ``purpose = "check"``): not the kit's own."""
        return self._check

    def hello(self, message: telemetry_pb2.AgentMessage, received_ns: int) -> HelloAccepted:
        """Take the stream's first message (it must be a Hello), received at
        ``received_ns`` (collector clock)."""
        try:
            if self._state is not _State.AWAIT_HELLO:
                raise LocalProtocolError(f"hello() in state {self._state.name}: call it once")
            if message.WhichOneof("msg") != "hello":
                raise OutOfOrder("the first message on a stream must be Hello")
            return self._hello(message.hello, received_ns)
        except KitRefused:
            self._state = _State.CLOSED
            raise

    def receive(self, message: telemetry_pb2.AgentMessage, received_ns: int) -> Commit | Skipped:
        """Take any later message (a Batch or a Snapshot), received at ``received_ns``; a
        message of a type this collector does not know is :class:`Skipped`."""
        try:
            return self._receive(message, received_ns)
        except KitRefused:
            self._state = _State.CLOSED
            raise

    def recheck(self, agent: Agent | None) -> None:
        """The store's current record of this stream's agent (None: it has none): raise
        the refusal that ends the stream if the credential no longer holds (revoked:
        PERMISSION_DENIED; replaced by a re-enrollment or removed: UNAUTHENTICATED)."""
        own = self.agent
        try:
            if agent is None or agent.secret_hash != own.secret_hash:
                raise CredentialRefused(_REPLACED.format(own.agent_id))
            if agent.revoked:
                raise AccessDenied(_REVOKED.format(own.agent_id))
        except KitRefused:
            self._state = _State.CLOSED
            raise

    def supersede(self, other: StreamSession) -> tuple[StreamSession, Superseded] | None:
        """This stream was just welcomed and ``other`` is another open stream of the same
        agent: the one of the two that ends (the one whose Hello came first: its kit has
        moved on to the other; a tie ends ``other``) and the refusal to end it with, the
        ended one being closed; or None when both stay (a ``check``'s stream, either: a
        technician's Hello beside the running kit; ``other`` closed already; another
        agent's). A slow handshake can welcome a kit's stale stream after its newer
        one: that stale one is then the one ended."""
        if self._state is not _State.STREAMING:
            raise LocalProtocolError(f"supersede() in state {self._state.name}: welcome first")
        if other is self:
            raise LocalProtocolError("a stream cannot supersede itself")
        if (
            other.agent.agent_id != self.agent.agent_id
            or self._check
            or other._check
            or other._state is _State.CLOSED
        ):
            return None
        ended = self if self._hello_received_ns < other._hello_received_ns else other
        ended._state = _State.CLOSED
        return ended, Superseded(self.agent.agent_id)

    def welcome(self, stored_anchors: Mapping[str, tuple[int, int]], sent_ns: int) -> Welcome:
        """After :class:`HelloAccepted`: the agent's stored anchors (boot_id ->
        (monotonic_ns, collector_ns)); the Welcome to send at ``sent_ns``."""
        if self._state is not _State.AWAIT_ANCHORS:
            raise LocalProtocolError(f"welcome() in state {self._state.name}, not after a Hello")
        anchors = {boot: Anchor(mono, coll) for boot, (mono, coll) in stored_anchors.items()}
        if self._hello_anchor is not None:  # this boot's anchor is the Hello's, always
            boot, mono, coll = self._hello_anchor
            anchors[boot] = Anchor(mono, coll)
        self._anchors = anchors
        self._state = _State.STREAMING
        agent = self.agent
        return Welcome(
            agent_id=agent.agent_id,
            site_code=agent.site_code,
            acked_through_seq=agent.acked_through,
            hello_received_unix_ns=self._hello_received_ns,
            welcome_sent_unix_ns=sent_ns,
        )

    def committed(self, commit: Commit, outcome: BatchOutcome) -> Acked | None:
        """``commit`` is stored with ``outcome``: the answer (None for a Snapshot)."""
        if commit.snapshot:
            return None
        acked = self.acked_through
        trusted = tuple(
            TrustedRecord(row.event_ns, record)
            for row, record in zip(commit.batch.rows, commit.records, strict=True)
            if row.seq > acked and row.time_quality in TRUSTED_TIME
        )
        self.acked_through = max(acked, outcome.acked_through)
        ack = Ack(outcome.acked_through, outcome.stored, outcome.duplicates)
        return Acked(ack, commit.batch.received_ns, trusted)

    # -- inside ------------------------------------------------------------------------------

    def _receive(self, message: telemetry_pb2.AgentMessage, received_ns: int) -> Commit | Skipped:
        kind = message.WhichOneof("msg")
        state = self._state
        if state is _State.CLOSED:
            raise OutOfOrder("this stream was refused: open a new one")
        if state is _State.AWAIT_HELLO:
            raise OutOfOrder("the first message on a stream must be Hello")
        if kind == "hello":
            raise OutOfOrder("Hello may be sent only once per stream")
        if state is _State.AWAIT_ANCHORS:
            raise LocalProtocolError("receive() before welcome(): read the anchors first")
        if kind is None:
            return _unknown(message)
        snapshot = kind == "snapshot"
        body = message.snapshot if snapshot else message.batch
        prepared = batches.prepare(
            body,
            agent_id=self.agent.agent_id,
            site_code=self.agent.site_code,
            anchors=self._anchors,
            received_ns=received_ns,
            future_tolerance_ns=self.future_tolerance_ns,
        )
        prepared.anchor, self._hello_anchor = self._hello_anchor, None
        if snapshot:  # live state only: its records come again in a Batch
            prepared.rows.clear()
        return Commit(prepared, body.records, snapshot)

    def _hello(self, hello: telemetry_pb2.Hello, received_ns: int) -> HelloAccepted:
        agent = self.agent
        if hello.agent_id and hello.agent_id != agent.agent_id:
            raise AccessDenied(
                f"Hello names agent {clip(hello.agent_id)} but the credential is {agent.agent_id!r}"
            )
        if hello.claimed_site and hello.claimed_site != agent.site_code:
            raise AccessDenied(
                f"this credential is enrolled for site {agent.site_code}, not "
                f"{clip(hello.claimed_site)}: enroll this kit for its own site"
            )
        self._hello_received_ns = received_ns
        if hello.HasField("sent_at") and hello.sent_at.boot_id:
            fault = boot_id_fault(hello.sent_at.boot_id)
            if fault is not None:  # not storable: refused, never UNAVAILABLE for ever
                raise MalformedMessage(f"Hello.sent_at.boot_id {fault}: not a boot id")
            self._hello_anchor = (hello.sent_at.boot_id, hello.sent_at.monotonic_ns, received_ns)
        self._state = _State.AWAIT_ANCHORS
        backhaul = None
        self._check = hello.host.get("purpose") == "check"
        if not self._check:
            value = telemetry_pb2.Backhaul.DESCRIPTOR.values_by_number.get(hello.backhaul)
            backhaul = from_enum_name(value.name if value is not None else "")
        return HelloAccepted(agent.agent_id, backhaul)


def _unknown(message: telemetry_pb2.AgentMessage) -> Skipped:
    """An AgentMessage with no member this collector knows: a newer kit's message type
    (skipped), or nothing at all (refused: no version of the contract sends that)."""
    fields = UnknownFieldSet(message)
    if not len(fields):
        raise MalformedMessage("an AgentMessage with no member set: send hello, batch or snapshot")
    numbers = sorted({fields[i].field_number for i in range(len(fields))})
    return Skipped(tuple(numbers[:_SHOWN_FIELDS]))
