"""Revocation reaches open streams: this replica's open streams, re-checked against the store.

A stream's credential is checked when the stream opens
(:meth:`collector.session.StreamSession.admit`), but a stream lives for days and
``pantau-collector revoke`` only writes the store, which is all that replicas share.
So every replica re-checks its own open streams: every :data:`CHECK_INTERVAL_S` it
reads the store's credential epoch (one row, which every revocation and enrollment
raises in its own transaction), and when it moved since the last full check, the
store's record of every agent streaming to it, in batches
(:meth:`~collector.store.IngestStore.get_agents`: 500 agents a query); when it did
not, only the streams welcomed since the last check are read (their handshake read
may predate a revocation that the last full check saw). Each stream's session says
whether its credential still holds (:meth:`~collector.session.StreamSession.recheck`,
pure) and the streams whose credential does not are cut: a revoked one ends with
PERMISSION_DENIED, one replaced by a re-enrollment or removed with UNAUTHENTICATED.
(Reading every agent every 2 s cost a replica with 20,000 streams about a seventh
of a core during a reconnect storm, for revocations that come a few a day.)

A cut stream is ended where it waits: a pending read is cancelled at once; a batch
being committed when the cut came may be stored, but it is not acked (the servicer
asks :meth:`OpenStream.check` before every commit and every Ack). So a revoked
credential stops being served within :data:`REVOCATION_BOUND_S` of ``revoke``
returning, on every replica (one check interval, plus one store read, plus slack):
the bound docs/proto.md states and tests/collector/test_revocation.py measures.

The same registry ends a kit's older stream when its newer one is welcomed
(:meth:`OpenStreams.open`; the session decides:
:meth:`~collector.session.StreamSession.supersede`): a kit whose link dropped
reconnects while this replica still holds its half-open old stream, which would keep
its backlog drain slot until keepalive ends it. The older stream is cut like a revoked
one (ABORTED instead), and the newer one waits (:meth:`OpenStream.superseded`, bounded)
until the older has ended and given back what it held. Per replica only: a kit's old
stream on another replica ends by keepalive (docs/operations.md).

The servicer (:mod:`collector.ingest`) registers each stream once it is welcomed
(:meth:`OpenStreams.open`) and reads through :meth:`OpenStream.read`; the collector
runs :meth:`OpenStreams.run` beside the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from collector.refusals import KitRefused
from collector.session import StreamSession
from collector.store.model import Agent
from pantau.core.aio import wait_event

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How often every open stream's credential is looked up again.
CHECK_INTERVAL_S = 2.0
#: A revoked credential is no longer served this long after ``revoke`` returned.
REVOCATION_BOUND_S = 5.0


class AgentLookup(Protocol):
    def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]: ...
    def credential_epoch(self) -> int: ...


class OpenStream:
    """One open, welcomed stream: its session, and the refusal that cut it (if any)."""

    __slots__ = ("_cancelled", "_ended", "_reader", "cut_by", "older", "session")

    def __init__(self, session: StreamSession) -> None:
        self.session = session
        self.cut_by: KitRefused | None = None
        #: The agent's older streams this one ended when it opened (superseded).
        self.older: tuple[OpenStream, ...] = ()
        self._reader: asyncio.Task[Any] | None = None  # the task waiting in read()
        self._cancelled = False  # cut() cancelled that task
        self._ended = asyncio.Event()  # set once the stream is unregistered

    async def superseded(self, timeout_s: float) -> bool:
        """Wait, at most ``timeout_s`` in all, until the older streams this one ended
        have ended (their drain slots given back): True if they all have."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        for older in self.older:
            if not await wait_event(older._ended, deadline - loop.time()):
                return False
        return True

    def check(self) -> None:
        """Raise the refusal that cut this stream, if it was cut."""
        if self.cut_by is not None:
            raise self.cut_by

    async def read(self, next_message: Coroutine[Any, Any, T]) -> T:
        """Await ``next_message`` (the stream's next read) unless the stream is cut first:
        then raise the refusal that cut it.

        The read runs in the stream's own task (no task of its own per message: this is
        the ingest's hot path); a cut cancels that task while it waits here, and the
        cancellation is taken back (``uncancel``) and turned into the refusal, unless
        someone else cancelled the task too (the kit went away, a stop)."""
        if self.cut_by is not None:
            next_message.close()
            raise self.cut_by
        task = asyncio.current_task()
        self._reader = task
        try:
            return await next_message
        except asyncio.CancelledError:
            if not self._cancelled or task is None or task.uncancel() > 0:
                raise  # the stream itself is being cancelled (the kit went away, a stop)
            assert self.cut_by is not None  # set before the cancel
            raise self.cut_by from None
        finally:
            self._reader = None

    def cut(self, refused: KitRefused) -> None:
        """End the stream with ``refused``: at once if it is waiting for a message, else
        at its next :meth:`check`."""
        self.cut_by = refused
        if self._reader is not None and not self._cancelled:
            self._cancelled = True
            self._reader.cancel()


class OpenStreams:
    """The open streams of this replica, and the periodic re-check of their credentials."""

    def __init__(self, store: AgentLookup, *, interval_s: float = CHECK_INTERVAL_S) -> None:
        self._store = store
        self.interval_s = interval_s
        self._streams: dict[str, set[OpenStream]] = {}  # agent_id -> its open streams
        #: The store's credential epoch when the last full check read it (None: none yet).
        self._epoch: int | None = None
        #: Streams registered since the last check took its list (each checked once).
        self._fresh: set[OpenStream] = set()

    def __len__(self) -> int:
        return sum(len(streams) for streams in self._streams.values())

    @contextlib.contextmanager
    def open(self, session: StreamSession) -> Iterator[OpenStream]:
        """Register ``session``'s (welcomed) stream while the block runs, and cut the
        agent's older streams it supersedes (:attr:`OpenStream.older`), or itself when
        one of them is newer (check :attr:`OpenStream.cut_by` before serving it)."""
        stream = OpenStream(session)
        agent_id = session.agent.agent_id
        streams = self._streams.setdefault(agent_id, set())
        older = []
        for other in streams:
            ended = session.supersede(other.session)
            if ended is None:
                continue
            if ended[0] is session:  # a stale stream welcomed late: it is the one to end
                stream.cut(ended[1])
                break
            other.cut(ended[1])
            older.append(other)
        stream.older = tuple(older)
        streams.add(stream)
        self._fresh.add(stream)
        try:
            yield stream
        finally:
            self._fresh.discard(stream)
            streams = self._streams.get(agent_id, set())
            streams.discard(stream)
            if not streams:
                self._streams.pop(agent_id, None)
            stream._ended.set()

    async def check(self) -> list[str]:
        """Look the open streams' agents up in the store (every stream's when the
        credential epoch moved, else those welcomed since the last check) and cut the
        streams whose credential no longer holds; the agent ids cut."""
        if not self._streams:
            return []
        epoch = await asyncio.to_thread(self._store.credential_epoch)
        # Only the streams open now are judged by this read: one registered while it runs
        # (its agent may not even be in it) is judged by the next check, not cut as
        # unknown (a reconnect storm registers streams all through a read).
        if epoch != self._epoch:
            looked_up = [(agent_id, list(s)) for agent_id, s in self._streams.items()]
        else:
            fresh: dict[str, list[OpenStream]] = {}
            for stream in self._fresh:
                fresh.setdefault(stream.session.agent.agent_id, []).append(stream)
            looked_up = list(fresh.items())
        self._fresh.clear()
        if not looked_up:
            return []
        try:
            agents = await asyncio.to_thread(self._store.get_agents, [a for a, _ in looked_up])
        except BaseException:
            self._epoch = None  # not read: the next check reads every stream's agent
            raise
        self._epoch = epoch
        cut: list[str] = []
        for agent_id, streams in looked_up:
            for stream in streams:
                if stream.cut_by is not None:
                    continue
                try:
                    stream.session.recheck(agents.get(agent_id))
                except KitRefused as refused:
                    stream.cut(refused)
                    cut.append(agent_id)
        return cut

    async def run(self) -> None:
        """Check every :attr:`interval_s` until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                cut = await self.check()
            except Exception:  # isolation boundary: a lost database must not end the checks
                log.warning("cannot re-check the open streams' credentials", exc_info=True)
                continue
            for agent_id in cut:
                log.warning("cut the open stream of %s: its credential no longer holds", agent_id)
